import nodemailer, { type Transporter } from 'nodemailer';

export interface OutgoingEmail {
  to: { name: string; address: string };
  subject: string;
  text: string;
  html: string;
  /** Derived from the event and template: the same email always carries the same Message-ID. */
  messageId: string;
  language: string;
  attachments?: Array<{ filename: string; content: Buffer; contentType: string }>;
}

/** The port the sender talks to; SMTP in every process (Mailpit in development and tests). */
export interface Mailer {
  send(email: OutgoingEmail): Promise<void>;
  close(): void;
}

/**
 * nodemailer over SMTP (SMTP_URL: smtp://[user:pass@]host:port, or smtps:// for implicit TLS). The
 * timeouts are short: a send runs inside the transaction that records it, and a dead server must
 * fail the attempt (the event is retried) rather than hold the row lock.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(smtpUrl: string, private readonly from: string) {
    const url = new URL(smtpUrl);
    const secure = url.protocol === 'smtps:';
    this.transport = nodemailer.createTransport({
      host: url.hostname,
      port: Number(url.port || (secure ? 465 : 587)),
      secure,
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: 5_000,
      greetingTimeout: 5_000,
      socketTimeout: 15_000,
    });
  }

  async send(email: OutgoingEmail): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: email.to,
      subject: email.subject,
      text: email.text,
      html: email.html,
      messageId: email.messageId,
      headers: { 'Content-Language': email.language },
      attachments: email.attachments ?? [],
    });
  }

  close(): void {
    this.transport.close();
  }
}
