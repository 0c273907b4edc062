// The text of a DiagnosticReport for label extraction: presentedForm attachments (text/plain or text/html, inline
// base64 or a Binary / DocumentReference url), then `conclusion`. Bad content is a PermanentJobError with the reason.
// DiagnosticReport.presentedForm: http://hl7.org/fhir/R4/diagnosticreport-definitions.html#DiagnosticReport.presentedForm
import type { Attachment, Binary, DiagnosticReport, DocumentReference } from 'fhir/r4.js';
import type { Repository } from '../fhir/repository.js';
import { PermanentJobError } from '../jobs/types.js';

/** Largest report text accepted; longer text is refused rather than silently cut. */
export const MAX_REPORT_TEXT = 200_000;

const TEXT_TYPES = new Set(['text/plain', 'text/html']);

/** Decodes attachment bytes as UTF-8 text, refusing binary content (NUL or many replacement characters). */
export function decodeText(bytes: Buffer, contentType: string, where: string): string {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!TEXT_TYPES.has(type))
    throw new PermanentJobError(`${where}: contentType ${contentType} is not text/plain or text/html`);
  const text = bytes.toString('utf8');
  const bad = (text.match(/\uFFFD/g) ?? []).length;
  if (text.includes('\u0000') || bad > Math.max(3, text.length / 100)) {
    throw new PermanentJobError(`${where}: the content is not text (binary bytes in a ${type} attachment)`);
  }
  return type === 'text/html' ? htmlToText(text) : text;
}

/** Plain text of an HTML report: block elements become line breaks, tags go, entities are decoded. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<\s*(br|\/p|\/div|\/li|\/h[1-6]|\/tr)\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

async function attachmentText(a: Attachment, repo: Repository, where: string): Promise<string | undefined> {
  const type = a.contentType ?? 'text/plain';
  if (a.data !== undefined) return decodeText(Buffer.from(a.data, 'base64'), type, where);
  const m = a.url ? /(?:^|\/)(Binary|DocumentReference)\/([A-Za-z0-9\-.]{1,64})$/.exec(a.url) : null;
  if (!m) return undefined;
  if (m[1] === 'Binary') {
    const binary = await repo.read<Binary>('Binary', m[2]!);
    return decodeText(
      Buffer.from(binary.data ?? '', 'base64'),
      binary.contentType ?? type,
      `${where} -> Binary/${m[2]}`,
    );
  }
  const doc = await repo.read<DocumentReference>('DocumentReference', m[2]!);
  for (const [i, c] of (doc.content ?? []).entries()) {
    const text = await attachmentText(c.attachment, repo, `${where} -> DocumentReference/${m[2]}.content[${i}]`);
    if (text !== undefined) return text;
  }
  return undefined;
}

/** The report's text, or '' when it has none; throws PermanentJobError for unreadable or oversized content. */
export async function reportText(report: DiagnosticReport, repo: Repository): Promise<string> {
  const parts: string[] = [];
  for (const [i, a] of (report.presentedForm ?? []).entries()) {
    const text = await attachmentText(a, repo, `presentedForm[${i}]`);
    if (text !== undefined) {
      parts.push(text);
      break; // alternative renderings of the same report: the first readable one is the report
    }
  }
  if (parts.length === 0 && report.conclusion) parts.push(report.conclusion);
  const text = parts.join('\n');
  if (text.length > MAX_REPORT_TEXT) {
    throw new PermanentJobError(`report text is ${text.length} characters, over the ${MAX_REPORT_TEXT} limit`);
  }
  return text;
}
