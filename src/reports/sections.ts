// Report sections: split a report at its headings ("FINDINGS:", "IMPRESSION:", ...). Sections whose kind is marked
// skip (indication, history, technique, comparison) are not searched. A report without headings is all findings.
// When the report has a findings heading, the findings are under it: a skipped section runs to the next heading,
// and the text before the first heading (patient data, exam title) is skipped too.

/** Section definitions: kind -> heading names (lower case) and whether the section is skipped. */
export interface SectionVocabulary {
  readonly sections: Readonly<Record<string, { readonly skip: boolean; readonly names: readonly string[] }>>;
}

/** A span of the report under one heading; [start, end) are offsets into the original text (body only). */
export interface Section {
  readonly kind: string;
  readonly heading: string | null;
  readonly start: number;
  readonly end: number;
  readonly skip: boolean;
}

export interface CompiledSections {
  readonly pattern: RegExp;
  readonly kinds: ReadonlyMap<string, { kind: string; skip: boolean }>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Compiles heading names into one pattern: a name at a line start or after a sentence end, then ':' (any case) or,
 * for a name written in capitals, a line break. */
export function compileSections(vocab: SectionVocabulary): CompiledSections {
  const kinds = new Map<string, { kind: string; skip: boolean }>();
  for (const [kind, def] of Object.entries(vocab.sections)) {
    for (const name of def.names) kinds.set(name.toLowerCase(), { kind, skip: def.skip });
  }
  // Horizontal white space, Unicode spaces included; a line ends at LF, CRLF or a bare CR.
  const sp = '[^\\S\\r\\n]';
  const names = [...kinds.keys()]
    .sort((a, b) => b.length - a.length)
    .map((n) => escapeRegExp(n).replace(/ /g, `${sp}+`));
  const alt = names.join('|');
  const pattern = new RegExp(`(?:^|(?<=[\\r\\n.!?])${sp}*)${sp}*(${alt})${sp}*(?::|(?=${sp}*[\\r\\n]))`, 'gim');
  return { pattern, kinds };
}

function skippedEnd(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && /\s/.test(text[i]!)) i++;
  const line = /[\r\n]/g;
  line.lastIndex = i;
  const l = line.exec(text);
  if (l && l.index < end) return l.index;
  const sentence = /[.!?](?=\s+["\u201c\u2022\u00b7A-Z])/g;
  sentence.lastIndex = i;
  const m = sentence.exec(text);
  return m && m.index < end ? m.index + 1 : end;
}

function isCapitalised(text: string): boolean {
  return text === text.toUpperCase();
}

/** Splits a report into sections (offsets into `text`). */
export function splitSections(text: string, compiled: CompiledSections): Section[] {
  // Every heading needs a colon or a line break after it: text with neither is one findings section.
  if (!/[:\r\n]/.test(text)) {
    return [{ kind: 'findings', heading: null, start: 0, end: text.length, skip: false }];
  }
  const heads: { kind: string; skip: boolean; heading: string; start: number; bodyStart: number }[] = [];
  compiled.pattern.lastIndex = 0;
  for (let m = compiled.pattern.exec(text); m !== null; m = compiled.pattern.exec(text)) {
    const name = m[1]!;
    const withColon = m[0].trimEnd().endsWith(':');
    // Without a colon only a heading in capitals on its own line counts ("FINDINGS\n"), not a sentence word.
    if (!withColon && !isCapitalised(name)) continue;
    const def = compiled.kinds.get(name.toLowerCase().replace(/\s+/g, ' '));
    if (!def) continue;
    heads.push({ ...def, heading: name, start: m.index, bodyStart: m.index + m[0].length });
    if (m[0].length === 0) compiled.pattern.lastIndex++;
  }
  if (heads.length === 0) return [{ kind: 'findings', heading: null, start: 0, end: text.length, skip: false }];
  const headed = heads.some((h) => h.kind === 'findings');
  const out: Section[] = [];
  if (text.slice(0, heads[0]!.start).trim().length > 0) {
    out.push({ kind: 'preamble', heading: null, start: 0, end: heads[0]!.start, skip: headed });
  }
  heads.forEach((h, i) => {
    const end = i + 1 < heads.length ? heads[i + 1]!.start : text.length;
    if (!h.skip || headed) {
      out.push({ kind: h.kind, heading: h.heading, start: h.bodyStart, end, skip: h.skip });
      return;
    }
    // Without a findings heading the findings follow a skipped section unheaded, so the skipped section is short:
    // it ends at its first line break or, in a report written on one line, at its first sentence end.
    const stop = skippedEnd(text, h.bodyStart, end);
    out.push({ kind: h.kind, heading: h.heading, start: h.bodyStart, end: stop, skip: true });
    if (stop < end && text.slice(stop, end).trim().length > 0) {
      out.push({ kind: 'findings', heading: null, start: stop, end, skip: false });
    }
  });
  return out;
}
