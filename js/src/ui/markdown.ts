// A small Markdown renderer that is safe by construction: every character of the source is
// HTML-escaped, and the only markup in the output is what this file writes (a fixed set of tags,
// no event-handler attributes, hrefs/srcs checked against an allow-list of schemes). Raw HTML in
// the source is shown as text.
//
// Supported: ATX headings, paragraphs (single newlines become <br>), **bold**, *italic*,
// ~~strike~~, `code`, fenced and indented code blocks, > quotes, - / 1. lists (nested by indent),
// GFM pipe tables, --- rules, [links](url), ![images](url), <autolinks> and bare http(s) URLs.

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]);

// Private-use characters delimit placeholders for already-rendered inline HTML.
const PH_OPEN = "\uE000", PH_CLOSE = "\uE001";
const PH_RE = /\uE000(\d+)\uE001/g;

/** The URL if it is safe to put in an href (http, https, mailto, relative, #anchor), else null. */
export function safeUrl(url: string, kind: "link" | "image" = "link"): string | null {
  const compact = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  if (compact === "") return null;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(compact);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    const ok = kind === "link"
      ? s === "http" || s === "https" || s === "mailto"
      : s === "http" || s === "https" || (s === "data" && /^data:image\/(png|jpe?g|gif|webp);/i.test(compact));
    if (!ok) return null;
  } else if (/^[^/?]*:/.test(compact)) {
    return null; // something before a colon that is not a valid scheme: refuse rather than guess
  }
  return url.trim();
}

function renderInline(src: string, shared?: string[]): string {
  // Nested calls (link text) share the outer list, so placeholders made by the outer call survive.
  const held: string[] = shared ?? [];
  const hold = (html: string) => `${PH_OPEN}${held.push(html) - 1}${PH_CLOSE}`;
  let s = shared ? src : src.replace(/[\uE000\uE001]/g, "");

  // code spans first: their content is literal
  s = s.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_, _t, code: string) => hold(`<code>${escapeHtml(code.trim())}</code>`));
  // backslash escapes
  s = s.replace(/\\([\\`*_{}[\]()#+\-.!|~<>])/g, (_, c: string) => hold(escapeHtml(c)));
  // images and links: [text](url "title")
  s = s.replace(/(!?)\[([^\]]*)\]\(\s*<?([^\s()<>]*(?:\([^\s()<>]*\)[^\s()<>]*)*)>?(?:\s+"([^"]*)")?\s*\)/g,
    (_, bang: string, text: string, url: string, title?: string) => {
      const t = title ? ` title="${escapeHtml(title)}"` : "";
      if (bang) {
        const u = safeUrl(url, "image");
        return u ? hold(`<img src="${escapeHtml(u)}" alt="${escapeHtml(text)}"${t}>`) : hold(escapeHtml(text));
      }
      const u = safeUrl(url, "link");
      if (!u) return hold(renderInline(text, held));
      return hold(`<a href="${escapeHtml(u)}"${t} target="_blank" rel="noopener noreferrer">${renderInline(text, held)}</a>`);
    });
  // <autolinks>
  s = s.replace(/<((?:https?|mailto):[^\s<>]+)>/gi, (_, url: string) => {
    const u = safeUrl(url);
    return u ? hold(`<a href="${escapeHtml(u)}" target="_blank" rel="noopener noreferrer">${escapeHtml(url)}</a>`)
      : hold(escapeHtml(url));
  });
  // bare URLs
  s = s.replace(/\bhttps?:\/\/[^\s<>"'\uE000\uE001]+[^\s<>"'.,;:!?)\]\uE000\uE001]/g, (url) =>
    hold(`<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer">${escapeHtml(url)}</a>`));

  s = escapeHtml(s);
  // emphasis on escaped text: only * _ ~ are matched, which escaping leaves alone
  s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, "$1<strong>$2</strong>");
  s = s.replace(/\*(?=[^\s*])([\s\S]*?[^\s*])\*/g, "<em>$1</em>");
  s = s.replace(/(^|[^\w])_(?=[^\s_])([\s\S]*?[^\s_])_(?!\w)/g, "$1<em>$2</em>");
  s = s.replace(/~~(?=\S)([\s\S]*?\S)~~/g, "<del>$1</del>");
  // hard breaks: every newline inside a paragraph (logged text is usually line-oriented)
  s = s.replace(/ *\\?\n/g, "<br>");
  if (shared) return s; // the outermost call restores placeholders
  for (let k = 0; k < 8 && s.includes(PH_OPEN); k++) s = s.replace(PH_RE, (_, i: string) => held[Number(i)] ?? "");
  return s;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+#.-]*)/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const TABLE_SEP = /^ {0,3}\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\" && s[i + 1] === "|") { cur += "|"; i++; continue; }
    if (s[i] === "|") { cells.push(cur.trim()); cur = ""; continue; }
    cur += s[i];
  }
  cells.push(cur.trim());
  return cells;
}

const indentOf = (line: string) => {
  const m = /^[ \t]*/.exec(line)![0];
  return m.replace(/\t/g, "    ").length;
};

function renderBlocks(lines: string[], depth: number): string {
  if (depth > 8) return `<p>${renderInline(lines.join("\n"))}</p>`;
  const out: string[] = [];
  let i = 0;
  const isBlank = (l: string) => l.trim() === "";
  const startsBlock = (l: string) =>
    FENCE.test(l) || HEADING.test(l) || RULE.test(l) || QUOTE.test(l) || LIST_ITEM.test(l);

  while (i < lines.length) {
    const line = lines[i];
    if (isBlank(line)) { i++; continue; }

    let m = FENCE.exec(line);
    if (m) {
      const fence = m[1], lang = m[2];
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[i])) body.push(lines[i++]);
      i++; // closing fence (or end)
      const cls = lang ? ` class="language-${escapeHtml(lang)}"` : "";
      out.push(`<pre><code${cls}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    if (indentOf(line) >= 4) {
      const body: string[] = [];
      while (i < lines.length && (indentOf(lines[i]) >= 4 || isBlank(lines[i]))) body.push(lines[i++].replace(/^( {4}|\t)/, ""));
      while (body.length && isBlank(body[body.length - 1])) body.pop();
      out.push(`<pre><code>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    m = HEADING.exec(line);
    if (m) {
      const level = m[1].length;
      out.push(`<h${level}>${renderInline(m[2] ?? "")}</h${level}>`);
      i++;
      continue;
    }
    if (RULE.test(line)) { out.push("<hr>"); i++; continue; }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && !isBlank(lines[i])) {
        const q = QUOTE.exec(lines[i]);
        inner.push(q ? q[1] : lines[i]);
        i++;
      }
      out.push(`<blockquote>${renderBlocks(inner, depth + 1)}</blockquote>`);
      continue;
    }
    m = LIST_ITEM.exec(line);
    if (m) {
      const ordered = /\d/.test(m[2]);
      const baseIndent = m[1].length;
      const start = ordered ? parseInt(m[2], 10) : 1;
      const items: string[][] = [];
      while (i < lines.length) {
        const l = lines[i];
        const im = LIST_ITEM.exec(l);
        if (im && im[1].length <= baseIndent + 1 && /\d/.test(im[2]) === ordered) {
          items.push([im[3]]);
          i++;
          continue;
        }
        if (isBlank(l)) {
          // a blank line ends the list unless the next line continues it (indented or a new item)
          const next = lines[i + 1];
          if (next !== undefined && (indentOf(next) > baseIndent + 1 || (LIST_ITEM.test(next) && indentOf(next) <= baseIndent + 1))) {
            items[items.length - 1].push("");
            i++;
            continue;
          }
          break;
        }
        if (indentOf(l) > baseIndent) {
          items[items.length - 1].push(l.replace(new RegExp(`^[ \\t]{0,${baseIndent + 4}}`), ""));
          i++;
          continue;
        }
        if (startsBlock(l)) break;
        items[items.length - 1].push(l); // lazy continuation
        i++;
      }
      const lis = items.map((it) => {
        while (it.length > 1 && isBlank(it[it.length - 1])) it.pop();
        if (it.some(isBlank)) return `<li>${renderBlocks(it, depth + 1)}</li>`; // loose item
        let j = 1;
        while (j < it.length && !startsBlock(it[j])) j++;
        const rest = j < it.length ? renderBlocks(it.slice(j), depth + 1) : "";
        return `<li>${renderInline(it.slice(0, j).join("\n"))}${rest}</li>`;
      }).join("");
      out.push(ordered ? `<ol${start !== 1 ? ` start="${start}"` : ""}>${lis}</ol>` : `<ul>${lis}</ul>`);
      continue;
    }
    if (line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]) && lines[i + 1].includes("-")) {
      const head = splitRow(line);
      const aligns = splitRow(lines[i + 1]).map((c) =>
        c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : "");
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && !isBlank(lines[i]) && lines[i].includes("|")) rows.push(splitRow(lines[i++]));
      const cell = (tag: string, c: string, j: number) =>
        `<${tag}${aligns[j] ? ` style="text-align:${aligns[j]}"` : ""}>${renderInline(c)}</${tag}>`;
      const thead = `<thead><tr>${head.map((c, j) => cell("th", c, j)).join("")}</tr></thead>`;
      const tbody = rows.length
        ? `<tbody>${rows.map((r) => `<tr>${head.map((_, j) => cell("td", r[j] ?? "", j)).join("")}</tr>`).join("")}</tbody>`
        : "";
      out.push(`<table>${thead}${tbody}</table>`);
      continue;
    }
    // paragraph
    const para: string[] = [];
    while (i < lines.length && !isBlank(lines[i]) && !(para.length && startsBlock(lines[i]))) para.push(lines[i++]);
    out.push(`<p>${renderInline(para.join("\n").trim())}</p>`);
  }
  return out.join("\n");
}

/** Markdown source -> sanitized HTML (safe to assign to innerHTML). */
export function renderMarkdown(src: string): string {
  const text = String(src ?? "").replace(/\r\n?/g, "\n").replace(/\u0000/g, "\uFFFD");
  return renderBlocks(text.split("\n"), 0);
}
