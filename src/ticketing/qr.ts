import QRCode from 'qrcode';

/**
 * A ticket code as a QR image (SVG text). Error correction M (15 %) survives a scratched phone
 * screen; the 4-module quiet zone is what scanners expect. The code is ASCII, so it fits a small
 * symbol (version 5 for about 80 characters).
 */
export const qrSvg = (code: string): Promise<string> => QRCode.toString(code, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
