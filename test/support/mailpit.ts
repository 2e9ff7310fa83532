import jsQR from 'jsqr';
import { eventually } from './harness.js';

/**
 * Reads the run's Mailpit through its REST API (/api/v1/search, /api/v1/message/<id>, its parts).
 * Test files run against one Mailpit: each reads only the messages to its own recipients (the
 * harness gives every user a random address).
 */
export interface MailpitSummary {
  ID: string;
  MessageID: string;
  Subject: string;
  To: Array<{ Name: string; Address: string }>;
  Attachments: number;
}

export interface MailpitMessage {
  ID: string;
  MessageID: string;
  Subject: string;
  Text: string;
  HTML: string;
  To: Array<{ Name: string; Address: string }>;
  Attachments: Array<{ PartID: string; FileName: string; ContentType: string; Size: number }>;
}

export class Mailpit {
  constructor(private readonly baseUrl: string) {}

  private async get(path: string): Promise<Response> {
    const res = await fetch(`${this.baseUrl}${path}`);
    if (!res.ok) throw new Error(`Mailpit ${path}: ${res.status}`);
    return res;
  }

  /** Every message to this address (newest first). */
  async to(address: string): Promise<MailpitSummary[]> {
    const body = (await (await this.get(`/api/v1/search?limit=200&query=${encodeURIComponent(`to:"${address}"`)}`)).json()) as { messages: MailpitSummary[] };
    return body.messages.filter((m) => m.To.some((t) => t.Address === address));
  }

  /** Waits until `count` messages to the address have arrived (and returns them all). */
  async waitFor(address: string, count: number, timeoutMs = 120_000): Promise<MailpitSummary[]> {
    return eventually(async () => {
      const found = await this.to(address);
      return found.length >= count && found;
    }, timeoutMs, 500);
  }

  async message(id: string): Promise<MailpitMessage> {
    return (await (await this.get(`/api/v1/message/${id}`)).json()) as MailpitMessage;
  }

  async headers(id: string): Promise<Record<string, string[]>> {
    return (await (await this.get(`/api/v1/message/${id}/headers`)).json()) as Record<string, string[]>;
  }

  async attachment(id: string, partId: string): Promise<Buffer> {
    return Buffer.from(await (await this.get(`/api/v1/message/${id}/part/${partId}`)).arrayBuffer());
  }
}

/** A PDF's pages as text (pdf.js; CJK comes out through the font's ToUnicode map) and the QR codes each image holds. */
export async function readPdf(pdf: Buffer): Promise<Array<{ text: string; qrCodes: string[] }>> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false }).promise;
  const pages = [];
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const text = (await page.getTextContent()).items.map((i) => ('str' in i ? i.str : '')).join('\n');
    const ops = await page.getOperatorList();
    const qrCodes: string[] = [];
    for (const [i, fn] of ops.fnArray.entries()) {
      if (fn !== pdfjs.OPS.paintImageXObject) continue;
      const img = await new Promise<{ width: number; height: number; kind: number; data: Uint8ClampedArray }>((resolve) => page.objs.get(ops.argsArray[i][0], resolve));
      const decoded = jsQR(toRgba(img), img.width, img.height);
      if (decoded) qrCodes.push(decoded.data);
    }
    pages.push({ text, qrCodes });
  }
  await doc.destroy();
  return pages;
}

/** pdf.js hands decoded images as RGBA (kind 3) or RGB (kind 2); jsQR reads RGBA. */
function toRgba(img: { width: number; height: number; kind: number; data: Uint8ClampedArray }): Uint8ClampedArray {
  if (img.kind === 3) return img.data;
  const px = img.width * img.height;
  const out = new Uint8ClampedArray(px * 4);
  for (let p = 0; p < px; p++) {
    out.set(img.data.subarray(p * 3, p * 3 + 3), p * 4);
    out[p * 4 + 3] = 255;
  }
  return out;
}
