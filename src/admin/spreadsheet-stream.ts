import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import ExcelJS from 'exceljs';

/** A column of an export: its header and how to read it from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null;
  width?: number;
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
export const CSV_TYPE = 'text/csv; charset=utf-8';

/**
 * Rows as a streamed spreadsheet: exceljs's streaming WorkbookWriter commits each row to the zip
 * stream as it comes (no shared strings, no styles), and the next row is read only when the client
 * has taken what came before, so memory stays flat however many rows and however slow the client.
 */
export function xlsxStream<T>(sheetName: string, columns: Column<T>[], rows: AsyncIterable<T>): ReadableStream<Uint8Array> {
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet(sheetName);
  sheet.columns = columns.map((c) => ({ header: c.header, key: c.header, width: c.width ?? 16 }));
  void (async () => {
    let n = 0;
    for await (const row of rows) {
      sheet.addRow(columns.map((c) => c.value(row))).commit();
      // exceljs buffers the sheet's XML until its zip takes it, without asking whether the client
      // keeps up: every hundred rows let the zip catch up, and wait while the client is behind, or a
      // slow client would make us read every row and hold the whole file (test/unit/spreadsheet-stream).
      if (++n % 100 === 0) await new Promise((r) => setImmediate(r));
      while (out.writableNeedDrain) await once(out, 'drain');
    }
    sheet.commit();
    await workbook.commit();
  })().catch((err: unknown) => out.destroy(err as Error));
  return Readable.toWeb(out) as ReadableStream<Uint8Array>;
}

/**
 * Rows as CSV (RFC 4180: fields quoted when they hold a comma, quote or line break), with a BOM so
 * spreadsheet programs read Korean as UTF-8. A text cell starting with = + - @ is prefixed with ' so
 * a spreadsheet does not run it as a formula (CSV injection).
 */
export function csvStream<T>(columns: Column<T>[], rows: AsyncIterable<T>): ReadableStream<Uint8Array> {
  const field = (v: string | number | null) => {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    const safe = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
  };
  const line = (cells: Array<string | number | null>) => `${cells.map(field).join(',')}\r\n`;
  async function* lines() {
    yield `\uFEFF${line(columns.map((c) => c.header))}`;
    for await (const row of rows) yield line(columns.map((c) => c.value(row)));
  }
  return Readable.toWeb(Readable.from(lines(), { objectMode: false })) as ReadableStream<Uint8Array>;
}
