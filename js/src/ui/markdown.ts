// Markdown for the Text dashboard: markdown-it (CommonMark + GFM tables and strikethrough; raw HTML
// off, so any tag in the source is shown as text), then DOMPurify with an allow-list of the tags
// markdown-it writes. Two independent layers: a parser bug cannot smuggle markup past the sanitizer,
// and the sanitizer is not the only thing between logged text and innerHTML.
//
// Nothing is fetched at run time: an image with a remote (or relative) URL becomes a placeholder
// naming the URL; only data:image/{png,jpeg,gif,webp} images are shown. Links open in a new tab with
// rel="noopener noreferrer". Single newlines are line breaks (logged text is usually line-oriented).
//
// Bounded time: markdown-it is linear, but adversarial text (`**a ` or `![` repeated) costs it about
// 1 µs per character, and every element is work for the sanitizer and the page. A text longer than
// MAX_MARKDOWN is shown as plain text (escaped here, in a <pre>), with a line saying so: 1 MB of
// anything renders in a few milliseconds, and no logged text can freeze the notebook.

import DOMPurify from "dompurify";
import MarkdownIt from "markdown-it";

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]);

const DATA_IMAGE = /^data:image\/(png|jpe?g|gif|webp);/i;

/** The URL if it is safe to put in an href (http, https, mailto, relative, #anchor) or, for images,
 * an inline data:image URL; else null. */
export function safeUrl(url: string, kind: "link" | "image" = "link"): string | null {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const compact = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, "");
  if (compact === "") return null;
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(compact);
  if (scheme) {
    const s = scheme[1].toLowerCase();
    const ok = kind === "link"
      ? s === "http" || s === "https" || s === "mailto"
      : s === "http" || s === "https" || (s === "data" && DATA_IMAGE.test(compact));
    if (!ok) return null;
  } else if (/^[^/?]*:/.test(compact)) {
    return null; // something before a colon that is not a valid scheme: refuse rather than guess
  }
  return url.trim();
}

/** True for the only images shown: inline data, nothing to fetch. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const inlineImage = (src: string) => DATA_IMAGE.test(src.replace(/[\u0000-\u0020\u007f-\u009f]/g, ""));

const md = new MarkdownIt("default", { html: false, linkify: true, breaks: true, typographer: false, maxNesting: 20 });
// bare http(s):// and mailto: URLs become links; fuzzy matching ("www.x.org") would scan every text
// token for host names, the biggest cost in a long table
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false, fuzzyIP: false });
// markdown-it asks one question for links and images alike; each renderer rule below narrows it
md.validateLink = (url: string) => safeUrl(url, "link") !== null || safeUrl(url, "image") !== null;

const attr = (t: { attrGet(name: string): string | number | null }, name: string) => String(t.attrGet(name) ?? "");

md.renderer.rules.image = (tokens, idx, options, env, self) => {
  const t = tokens[idx];
  const src = attr(t, "src");
  const alt = self.renderInlineAsText(t.children ?? [], options, env);
  const title = attr(t, "title");
  const titleAttr = title ? ` title="${escapeHtml(title)}"` : "";
  if (inlineImage(src)) return `<img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}"${titleAttr}>`;
  // a remote image would be fetched by the notebook page (a tracking pixel, a request to an
  // intranet host...): show what it is and where, as a link the user may choose to follow
  const link = safeUrl(src, "link");
  const where = link
    ? `<a href="${escapeHtml(link)}">${escapeHtml(src)}</a>`
    : `<code>${escapeHtml(src)}</code>`;
  return `<span class="cb-md-img-blocked" title="remote images are not loaded">[image${alt ? `: ${escapeHtml(alt)}` : ""}] ${where}</span>`;
};

const defaultLinkOpen = md.renderer.rules.link_open
  ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const t = tokens[idx];
  if (safeUrl(attr(t, "href"), "link") === null) t.attrSet("href", "#"); // e.g. [x](data:image/...)
  return defaultLinkOpen(tokens, idx, options, env, self);
};

const TAGS = ["p", "br", "strong", "em", "s", "del", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
  "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img", "span"];
const ATTRS = ["href", "src", "alt", "title", "class", "style", "start"];
const ALIGN = /^text-align:\s*(left|right|center);?$/;

let purifier: ReturnType<typeof DOMPurify> | null = null;

function sanitizer(): ReturnType<typeof DOMPurify> | null {
  if (purifier) return purifier;
  if (typeof window === "undefined" || !DOMPurify.isSupported) return null;
  const p = DOMPurify(window); // our own instance: its hooks never touch another library's DOMPurify
  p.addHook("afterSanitizeAttributes", (node: Element) => {
    const style = node.getAttribute("style");
    if (style !== null && !ALIGN.test(style.trim())) node.removeAttribute("style"); // table alignment only
    const cls = node.getAttribute("class");
    if (cls !== null && !/^(language-[\w+#.-]+|cb-md-img-blocked)$/.test(cls)) node.removeAttribute("class");
    if (node.tagName === "A") {
      const href = node.getAttribute("href");
      if (href !== null && safeUrl(href, "link") === null) node.removeAttribute("href");
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    } else if (node.tagName === "IMG" && !inlineImage(node.getAttribute("src") ?? "")) {
      node.removeAttribute("src"); // never fetch (the markdown-it rule already made a placeholder)
    }
  });
  return (purifier = p);
}

/** Longest text rendered as markdown (UTF-16 code units); longer ones are shown as plain text. */
export const MAX_MARKDOWN = 16 * 1024;

/** markdown-it's output before sanitizing (exported for the timing tests only). */
export const markdownItHtml = (text: string) => md.render(text);

function plainText(text: string): string {
  const kb = Math.round(text.length / 1024);
  return `<p class="cb-md-note">${kb} KB: shown as plain text (markdown is rendered up to ${MAX_MARKDOWN / 1024} KB)</p>`
    + `<pre class="cb-md-plain">${escapeHtml(text)}</pre>`;
}

/**
 * Markdown source -> its text without markup, blocks on lines of their own: for places that show
 * text only (a header's tooltip), where TensorBoard's descriptions, written as markdown, would
 * otherwise show their asterisks and brackets. A link keeps its text, an image its alt text.
 */
export function markdownText(src: string): string {
  const text = String(src ?? "");
  if (text.length > MAX_MARKDOWN) return text;
  const lines: string[] = [];
  for (const t of md.parse(text, {})) {
    if (t.type === "inline") lines.push(md.renderer.renderInlineAsText(t.children ?? [], md.options, {}));
    else if (t.type === "code_block" || t.type === "fence") lines.push(t.content.replace(/\n$/, ""));
  }
  return lines.join("\n");
}

/** Markdown source -> sanitized HTML (safe to assign to innerHTML). */
export function renderMarkdown(src: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is replaced, as CommonMark says
  const text = String(src ?? "").replace(/\u0000/g, "\uFFFD");
  if (text.length > MAX_MARKDOWN) return plainText(text);
  const html = md.render(text);
  const p = sanitizer();
  // no DOM (a test under node): markdown-it's output is escaped by construction, but unsanitized
  // HTML is never handed out; plain escaped text is
  if (!p) return `<pre>${escapeHtml(text)}</pre>`;
  return p.sanitize(html, {
    ALLOWED_TAGS: TAGS,
    ALLOWED_ATTR: ATTRS,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
  }).trim();
}
