// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { fitScale, hasBoxes, type ImageRecord, imageFilter, imageInfo, images, stepLabel } from "../src/kinds/images";
import { boxesOverlay, boxShapes, LABEL_FONT_PX, measureLabel, readBoxes, readLabels } from "../src/kinds/images-boxes";
import { firstFrameGif, gifFps, loopingGif, parseGif, videoLabel } from "../src/kinds/images-video";
import { Buffers } from "../src/wire";

describe("images", () => {
  it("builds the brightness/contrast filter", () => {
    expect(imageFilter(1, 1)).toBe("none");
    expect(imageFilter(1.5, 1)).toBe("brightness(1.5) contrast(1)");
    expect(imageFilter(0.333333, 2.5)).toBe("brightness(0.333) contrast(2.5)");
    expect(imageFilter(-1, Number.NaN)).toBe("brightness(0) contrast(1)");
  });

  it("fits an image to a box (scale up small ones, down large ones)", () => {
    expect(fitScale(28, 28, 280, 400)).toBe(10);
    expect(fitScale(1000, 500, 250, 400)).toBe(0.25);
    expect(fitScale(100, 400, 300, 200)).toBe(0.5); // limited by height
    expect(fitScale(0, 10, 100, 100)).toBe(1);
  });

  it("labels the step and the sample within a step", () => {
    const recs = [{ step: 0 }, { step: 10 }, { step: 10 }, { step: 10 }, { step: 20 }];
    expect(stepLabel(recs, 0)).toBe("step 0");
    expect(stepLabel(recs, 2)).toBe("step 10  (sample 2/3)");
    expect(stepLabel(recs, 4)).toBe("step 20");
    expect(stepLabel(recs, 9)).toBe("");
  });

  it("shows the wall time and size of the image shown", () => {
    const s = imageInfo({ wall: 1.7e9, width: 64, height: 32 });
    expect(s).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}· {2}64×32$/);
    expect(imageInfo({ wall: Number.NaN, width: 0, height: 0 })).toBe("");
  });
});

// ------------------------------------------------------------------ videos (animated GIFs)

/** A GIF of 1x1 frames (2-colour global table), each with a graphic control extension of `delay` cs. */
function gif(frames: number, delay: number, loop: boolean): Uint8Array {
  const head = [0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255];
  const netscape = [0x21, 0xff, 0x0b, ..."NETSCAPE2.0".split("").map((c) => c.charCodeAt(0)), 3, 1, 0, 0, 0];
  const frame = [0x21, 0xf9, 4, 0, delay & 255, delay >> 8, 0, 0, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0];
  return new Uint8Array([...head, ...(loop ? netscape : []), ...Array.from({ length: frames }, () => frame).flat(), 0x3b]);
}

describe("videos", () => {
  it("reads a GIF's frames, delays and loop extension", () => {
    const info = parseGif(gif(3, 25, true));
    expect(info).toMatchObject({ width: 1, height: 1, frames: 3, delays: [25, 25, 25], loops: true, headerEnd: 19 });
    expect(parseGif(gif(1, 0, false))).toMatchObject({ frames: 1, loops: false });
    expect(parseGif(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toBeNull(); // a PNG
    expect(parseGif(gif(2, 10, false).subarray(0, 30))).toBeNull(); // cut in the first frame
  });

  it("says how many frames at which fps", () => {
    expect(gifFps([25, 25, 25])).toBe(4);
    expect(gifFps([4, 4, 5])).toBe(25);
    expect(gifFps([0, 0])).toBeNull();
    expect(gifFps([1, 1])).toBe(10); // browsers slow delays under 2 cs down to 10 cs
    expect(videoLabel({ frames: 16, delays: Array(16).fill(25) })).toBe("video · 16 frames · 4 fps");
    expect(imageInfo({ wall: Number.NaN, width: 8, height: 6, video: parseGif(gif(2, 50, true)) })).toBe("video · 2 frames · 2 fps  ·  8×6");
  });

  it("makes a GIF loop, and cuts its first frame out as a still", () => {
    const once = gif(3, 25, false);
    const info = parseGif(once)!;
    const looped = loopingGif(once, info);
    expect(parseGif(looped)).toMatchObject({ frames: 3, loops: true, delays: [25, 25, 25] });
    const already = gif(3, 25, true);
    expect(loopingGif(already, parseGif(already)!)).toBe(already);
    const still = firstFrameGif(once, info);
    expect(parseGif(still)).toMatchObject({ frames: 1, delays: [25] });
    expect(still[still.length - 1]).toBe(0x3b);
  });

  it("decodes a video entry with its structure; still GIFs and PNGs are not videos", () => {
    const dec = (bytes: Uint8Array, mime: string) =>
      images.decode({ run: "r", tag: "v", index: 0, step: 0, wall: 1, width: 1, height: 1, mime, buffer: 0 }, new Buffers([bytes])) as ImageRecord;
    expect(dec(gif(4, 25, true), "image/gif").video?.frames).toBe(4);
    expect(dec(gif(1, 0, false), "image/gif").video).toBeNull();
    expect(dec(new Uint8Array([1, 2, 3]), "image/png")).toMatchObject({ video: null, boxes: null, labels: null });
  });
});

// ------------------------------------------------------------------ boxes (add_image_with_boxes)

describe("boxes", () => {
  it("reads the boxes and labels of an entry (malformed: none)", () => {
    const e = { run: "r", tag: "b", index: 0, step: 0, wall: 1, width: 60, height: 40, mime: "image/png", buffer: 0,
      boxes: [[5, 5, 30, 20], [10, 15, 50, 35.5]], labels: ["cat", "dog"] };
    const rec = images.decode(e, new Buffers([new Uint8Array([1])])) as ImageRecord;
    expect(rec.boxes).toEqual([[5, 5, 30, 20], [10, 15, 50, 35.5]]);
    expect(rec.labels).toEqual(["cat", "dog"]);
    expect(hasBoxes(rec)).toBe(true);
    expect(readBoxes([[1, 2, 3]])).toBeNull();
    expect(readBoxes([[1, 2, 3, Number.NaN]])).toBeNull();
    expect(readBoxes("x")).toBeNull();
    expect(readLabels(["a"], 2)).toBeNull(); // torch draws no labels when they do not match the boxes
    expect(hasBoxes({ ...rec, boxes: [] })).toBe(false);
  });

  it("places outlines and labels as torch draws them (label band at the bottom-left, inside)", () => {
    // Pillow's default font measures "dog" 17 wide, 8 above the baseline and 2 below (getbbox (0, 2, 17, 12))
    const shapes = boxShapes([[30, 20, 5, 5], [10, 15, 50, 35]], ["", "dog"], () => ({ width: 17, ascent: 8, descent: 2 }));
    expect(shapes[0]).toEqual({ x: 5, y: 5, w: 25, h: 15, label: null }); // corners in any order; an empty label draws none
    // torch: th = 10, m = 1: band (10, 35 - 12) to (27, 35); text top-left at (11, 24), glyph bottom at 36, baseline 34
    expect(shapes[1].label).toEqual({ text: "dog", x: 10, y: 23, w: 17, h: 12, textX: 11, textY: 34 });
    expect(measureLabel("dog").width).toBeGreaterThan(measureLabel("do").width); // the estimate without a canvas
    expect(LABEL_FONT_PX).toBe(10);
  });

  it("builds an SVG overlay in the image's pixels", () => {
    const el = boxesOverlay(60, 40, [[5, 5, 30, 20]], ["cat"]);
    expect(el.getAttribute("viewBox")).toBe("0 0 60 40");
    expect(el.getAttribute("preserveAspectRatio")).toBe("xMidYMid meet"); // as the img's object-fit: contain
    const rects = el.querySelectorAll("rect");
    expect(rects.length).toBe(2);
    expect(rects[0].getAttribute("stroke")).toBe("#ff0000");
    expect(rects[0].getAttribute("stroke-width")).toBe("2");
    expect(el.querySelector("text")?.textContent).toBe("cat");
  });
});
