/** E-mail through one SMTP server (--smtp-url), via nodemailer. */
import nodemailer, { type Transporter } from 'nodemailer';
import type { SendResult } from './delivery.js';

const TIMEOUT_MS = 10_000;

export class EmailSender {
  private readonly transport: Transporter;

  constructor(smtpUrl: string, private readonly from: string) {
    const url = new URL(smtpUrl);
    this.transport = nodemailer.createTransport({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port) || (url.protocol === 'smtps:' ? 465 : 587),
      secure: url.protocol === 'smtps:',
      ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
      connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS,
    });
  }

  async send(to: readonly string[], subject: string, text: string): Promise<SendResult> {
    try {
      await this.transport.sendMail({ from: this.from, to: [...to], subject, text });
      return { ok: true };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      // 5xx is the server's final no (unknown mailbox, refused sender); everything else may pass.
      const permanent = e.responseCode !== undefined && e.responseCode >= 500;
      return { ok: false, retry: !permanent, error: `${e.code ? `${e.code}: ` : ''}${e.message}`.slice(0, 300) };
    }
  }

  close(): void {
    this.transport.close();
  }
}
