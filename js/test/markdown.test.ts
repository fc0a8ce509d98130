import { describe, expect, it } from "vitest";
import { renderMarkdown, safeUrl } from "../src/ui/markdown";

// No element may carry an event handler, and no tag other than the renderer's own may appear.
const ALLOWED = new Set(["p", "br", "strong", "em", "del", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
  "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "a", "img"]);
const ATTRS = new Set(["href", "src", "alt", "title", "target", "rel", "class", "style", "start"]);
function assertSafe(html: string) {
  for (const m of html.matchAll(/<\/?([a-zA-Z0-9]+)([^>]*)>/g)) {
    expect(ALLOWED.has(m[1].toLowerCase()), `tag ${m[1]}`).toBe(true);
    // attributes are exactly name="value" pairs (values cannot contain a raw quote) with known names
    const attrs = [...m[2].matchAll(/\s([a-z-]+)="([^"<>]*)"/g)];
    expect(m[2].replace(/\s([a-z-]+)="([^"<>]*)"/g, "").trim(), `attributes ${m[2]}`).toBe("");
    for (const [, name, value] of attrs) {
      expect(ATTRS.has(name), `attribute ${name}`).toBe(true);
      if (name === "href" || name === "src") expect(/^\s*(javascript|vbscript|data:text)/i.test(value), value).toBe(false);
    }
  }
  expect(/<script/i.test(html)).toBe(false);
}

describe("markdown rendering", () => {
  it("renders the common subset", () => {
    const html = renderMarkdown("- a\n  - nested\n- b\n\n# Title\n\nSome **bold**, *it*, `a<b`, ~~x~~ and a [link](https://example.com).\n\n- one\n- two\n\n1. a\n2. b\n\n```py\nx = 1 < 2\n```\n\n> quote\n\n---");
    expect(html).toContain("<ul><li>a<ul><li>nested</li></ul></li><li>b</li></ul>");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<em>it</em>");
    expect(html).toContain("<code>a&lt;b</code>");
    expect(html).toContain("<del>x</del>");
    expect(html).toContain('<a href="https://example.com" target="_blank" rel="noopener noreferrer">link</a>');
    expect(html).toContain("<ul><li>one</li><li>two</li></ul>");
    expect(html).toContain("<ol><li>a</li><li>b</li></ol>");
    expect(html).toContain('<pre><code class="language-py">x = 1 &lt; 2</code></pre>');
    expect(html).toContain("<blockquote><p>quote</p></blockquote>");
    expect(html).toContain("<hr>");
    assertSafe(html);
  });

  it("renders pipe tables with alignment", () => {
    const html = renderMarkdown("| lr | acc |\n|:---|---:|\n| 0.1 | **0.91** |\n| 0.01 | 0.88 |");
    expect(html).toContain("<table><thead><tr><th style=\"text-align:left\">lr</th>");
    expect(html).toContain("<td style=\"text-align:right\"><strong>0.91</strong></td>");
  });

  it("keeps snake_case and line breaks", () => {
    expect(renderMarkdown("epoch_loss_value\nnext line")).toBe("<p>epoch_loss_value<br>next line</p>");
  });

  it("removes script tags (shown as text)", () => {
    const html = renderMarkdown("hi <script>alert(1)</script>\n\n<SCRIPT src=x></SCRIPT>");
    assertSafe(html);
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("removes onerror and other handler attributes", () => {
    for (const src of [
      '<img src=x onerror="alert(1)">',
      "<img src=x onerror=alert(1)//>",
      '<a href="#" onclick="alert(1)">x</a>',
      '<svg onload=alert(1)>',
      '![x" onerror="alert(1)](https://a.b/c.png)',
      '[x](https://a.b/" onmouseover="alert(1))',
    ]) assertSafe(renderMarkdown(src));
  });

  it("drops javascript: and other unsafe links", () => {
    for (const url of ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
      "&#106;avascript:alert(1)", "vbscript:msgbox(1)", "data:text/html;base64,PHNjcmlwdD4="]) {
      expect(safeUrl(url), url).toBe(null);
      const html = renderMarkdown(`[click](${url}) <${url}>`);
      assertSafe(html);
      expect(html).not.toContain("href=");
    }
    expect(renderMarkdown("![i](javascript:alert(1))")).not.toContain("<img");
    expect(safeUrl("data:image/png;base64,AAAA", "image")).not.toBe(null);
    expect(safeUrl("data:image/png;base64,AAAA", "link")).toBe(null);
    expect(safeUrl("docs/page.html#x")).toBe("docs/page.html#x");
    expect(safeUrl("mailto:a@b.c")).toBe("mailto:a@b.c");
  });

  it("nested markup inside links keeps code spans", () => {
    const html = renderMarkdown("see [`fn()`](https://x.y) and https://a.b/c?d=1&e=2.");
    expect(html).toContain('<a href="https://x.y" target="_blank" rel="noopener noreferrer"><code>fn()</code></a>');
    expect(html).toContain('href="https://a.b/c?d=1&amp;e=2"');
    expect(html.endsWith(".</p>")).toBe(true);
  });
});
