#!/usr/bin/python3
"""Generates test images and torchvision's preprocessing of them.

Usage: gen_image_refs.py OUTDIR

Writes PNGs (gray 1/2/4/8/16-bit, gray+alpha, palette with and without tRNS,
RGB, RGB with tRNS, RGBA, 16-bit RGB/RGBA/LA, Adam7-interlaced) and JPEGs
(gray and color, several qualities, 4:2:0 / 4:4:4, progressive) of odd,
non-square, upscaled and downscaled sizes into OUTDIR, and for each image and
each preprocessing configuration the float32 tensor torchvision 0.14 makes of
it (C x H x W, little endian, .bin), as

    img = Image.open(path).convert('RGB' or 'L')
    Compose([Resize(R), CenterCrop((H, W)), ToTensor(), Normalize(mean, std)])(img)

OUTDIR/manifest.txt lists one case per line:
    image ref channels resize crop_h crop_w normalize m0 m1 m2 s0 s1 s2
Exits 77 (meson's "skipped") if PIL, torchvision or numpy is missing.
"""
import os
import struct
import sys
import zlib

try:
    import numpy as np
    from PIL import Image
    import torch
    from torchvision import transforms
except ImportError as e:  # pragma: no cover
    print(f"SKIP: {e}; install python3-pil python3-torchvision python3-numpy", file=sys.stderr)
    sys.exit(77)

IMAGENET = dict(channels=3, resize=256, crop=(224, 224), normalize=True,
                mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
SMALL_GRAY = dict(channels=1, resize=32, crop=(32, 32), normalize=True,
                  mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5))
# No resize; a crop larger than small images (torchvision pads with zeros).
CROP_ONLY = dict(channels=3, resize=0, crop=(64, 80), normalize=False,
                 mean=(0, 0, 0), std=(1, 1, 1))
# Non-square crop, upscaling side, no normalization.
RECT = dict(channels=3, resize=97, crop=(61, 90), normalize=False,
            mean=(0, 0, 0), std=(1, 1, 1))
CONFIGS = {"imagenet": IMAGENET, "gray32": SMALL_GRAY, "crop": CROP_ONLY, "rect": RECT}


def content(w, h, c, seed):
    """Smooth gradients plus noise and a few hard edges: exercises both the
    filter weights and the clipping of the resampler."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    planes = []
    for i in range(c):
        base = 127.5 + 127.5 * np.sin(x / (5.0 + 3 * i) + y / (7.0 + i) + i)
        base[(x // 9 + y // 13 + i) % 5 == 0] = 255 * (i % 2)
        base += rng.normal(0, 25, size=(h, w))
        planes.append(base)
    return np.clip(np.stack(planes, axis=-1), 0, 255)


def u8(w, h, c, seed):
    return content(w, h, c, seed).round().astype(np.uint8)


def u16(w, h, c, seed):
    rng = np.random.default_rng(seed + 1000)
    hi = content(w, h, c, seed).round().astype(np.uint16)
    return (hi << 8) | rng.integers(0, 256, size=hi.shape, dtype=np.uint16)


# ------------------------------------------------------------ a PNG writer
# (PIL cannot write 16-bit color, sub-byte depths with every color type, or
# interlaced PNGs; this writes any of them.)

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _pack_rows(a, bit_depth):
    """a: h x w x c integer array -> list of raw scanlines (no filter byte)."""
    h = a.shape[0]
    if bit_depth == 16:
        return [a[y].astype(">u2").tobytes() for y in range(h)]
    if bit_depth == 8:
        return [a[y].astype(np.uint8).tobytes() for y in range(h)]
    rows = []
    for y in range(h):
        vals = a[y].reshape(-1).astype(np.uint8)
        per = 8 // bit_depth
        pad = (-len(vals)) % per
        vals = np.concatenate([vals, np.zeros(pad, np.uint8)]).reshape(-1, per)
        packed = np.zeros(len(vals), np.uint16)
        for i in range(per):
            packed = (packed << bit_depth) | vals[:, i]
        rows.append(packed.astype(np.uint8).tobytes())
    return rows


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def write_png(path, a, color_type, bit_depth, palette=None, trns=None, interlace=False):
    if a.ndim == 2:
        a = a[:, :, None]
    h, w = a.shape[:2]
    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for x0, y0, dx, dy in passes:
        sub = a[y0::dy, x0::dx]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        raw += b"".join(b"\0" + r for r in _pack_rows(sub, bit_depth))
    data = b"\x89PNG\r\n\x1a\n"
    data += _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, int(interlace)))
    if palette is not None:
        data += _chunk(b"PLTE", bytes(palette))
    if trns is not None:
        data += _chunk(b"tRNS", trns)
    # Split the image data over several IDAT chunks, as real encoders do.
    z = zlib.compress(raw, 9)
    for i in range(0, len(z), 4096):
        data += _chunk(b"IDAT", z[i:i + 4096])
    data += _chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


# ------------------------------------------------------------ the images

def make_images(out):
    """Returns [(file name, PIL image the reference is computed from or None
    for 'open the file with PIL', config names)]."""
    cases = []
    all_cfg = ["imagenet", "gray32", "rect"]

    def add(name, cfgs=None, ref_image=None):
        cases.append((name, ref_image, cfgs or all_cfg))

    def pil_save(name, img, **kw):
        img.save(os.path.join(out, name), **kw)
        add(name)

    pil_save("rgb_640x480.png", Image.fromarray(u8(640, 480, 3, 1), "RGB"))
    pil_save("rgb_333x517.png", Image.fromarray(u8(333, 517, 3, 2), "RGB"))
    pil_save("rgb_100x75.png", Image.fromarray(u8(100, 75, 3, 3), "RGB"))
    pil_save("rgb_256x256.png", Image.fromarray(u8(256, 256, 3, 4), "RGB"))
    pil_save("rgb_224x300.png", Image.fromarray(u8(224, 300, 3, 5), "RGB"))
    pil_save("rgb_10x7.png", Image.fromarray(u8(10, 7, 3, 6), "RGB"))
    pil_save("rgb_1x40.png", Image.fromarray(u8(1, 40, 3, 7), "RGB"))
    pil_save("gray_301x199.png", Image.fromarray(u8(301, 199, 1, 8)[:, :, 0], "L"))
    pil_save("la_200x150.png", Image.fromarray(u8(200, 150, 2, 9), "LA"))
    pil_save("rgba_250x300.png", Image.fromarray(u8(250, 300, 4, 10), "RGBA"))
    # Palette images: PIL quantizes an RGB image.
    pal = Image.fromarray(u8(123, 77, 3, 11), "RGB").quantize(colors=200)
    pil_save("palette_123x77.png", pal)
    pal_t = Image.fromarray(u8(90, 131, 3, 12), "RGB").quantize(colors=64)
    pal_t.save(os.path.join(out, "palette_trns_90x131.png"), transparency=bytes(range(0, 256, 4)))
    add("palette_trns_90x131.png")

    rng = np.random.default_rng(99)
    palette = rng.integers(0, 256, size=16 * 3).astype(np.uint8)
    idx4 = (u8(57, 43, 1, 13)[:, :, 0] // 16)
    write_png(os.path.join(out, "palette4_57x43.png"), idx4, 3, 4, palette=palette)
    add("palette4_57x43.png")
    write_png(os.path.join(out, "palette4_interlaced_57x43.png"), idx4, 3, 4, palette=palette,
              trns=bytes([0, 128, 255]), interlace=True)
    add("palette4_interlaced_57x43.png")
    g = u8(71, 53, 1, 14)[:, :, 0]
    write_png(os.path.join(out, "gray1_71x53.png"), g >> 7, 0, 1)
    add("gray1_71x53.png")
    write_png(os.path.join(out, "gray2_71x53.png"), g >> 6, 0, 2)
    add("gray2_71x53.png")
    write_png(os.path.join(out, "gray4_trns_71x53.png"), g >> 4, 0, 4, trns=struct.pack(">H", 3))
    add("gray4_trns_71x53.png")
    write_png(os.path.join(out, "rgb_trns_80x60.png"), u8(80, 60, 3, 15), 2, 8,
              trns=struct.pack(">HHH", 10, 20, 30))
    add("rgb_trns_80x60.png")
    write_png(os.path.join(out, "rgb_interlaced_97x131.png"), u8(97, 131, 3, 16), 2, 8, interlace=True)
    add("rgb_interlaced_97x131.png")
    write_png(os.path.join(out, "rgba_interlaced_7x5.png"), u8(7, 5, 4, 17), 6, 8, interlace=True)
    add("rgba_interlaced_7x5.png")
    write_png(os.path.join(out, "rgb16_180x140.png"), u16(180, 140, 3, 18), 2, 16)
    add("rgb16_180x140.png")
    write_png(os.path.join(out, "rgba16_interlaced_61x67.png"), u16(61, 67, 4, 19), 6, 16, interlace=True)
    add("rgba16_interlaced_61x67.png")
    write_png(os.path.join(out, "la16_90x50.png"), u16(90, 50, 2, 20), 4, 16)
    add("la16_90x50.png")
    # 16-bit gray: PIL opens it as mode I and clips to 255 on conversion; rn
    # takes the high byte, like every other 16-bit PNG. The reference is
    # torchvision on that high byte (rn's documented behavior).
    g16 = u16(120, 100, 1, 21)[:, :, 0]
    write_png(os.path.join(out, "gray16_120x100.png"), g16, 0, 16)
    add("gray16_120x100.png", ref_image=Image.fromarray((g16 >> 8).astype(np.uint8), "L"))

    # JPEG: the same libjpeg-turbo decoder as PIL's, so pixels must match.
    color = Image.fromarray(u8(640, 427, 3, 30), "RGB")
    pil_save("color_q90_640x427.jpg", color, quality=90)
    pil_save("color_q50_301x203.jpg", Image.fromarray(u8(301, 203, 3, 31), "RGB"), quality=50)
    pil_save("color_444_q75_129x257.jpg", Image.fromarray(u8(129, 257, 3, 32), "RGB"), quality=75,
             subsampling=0)
    pil_save("color_422_q95_77x33.jpg", Image.fromarray(u8(77, 33, 3, 33), "RGB"), quality=95,
             subsampling=1)
    pil_save("color_progressive_q80_250x190.jpg", Image.fromarray(u8(250, 190, 3, 34), "RGB"),
             quality=80, progressive=True)
    pil_save("gray_q75_150x260.jpg", Image.fromarray(u8(150, 260, 1, 35)[:, :, 0], "L"), quality=75)
    pil_save("gray_q30_33x17.jpg", Image.fromarray(u8(33, 17, 1, 36)[:, :, 0], "L"), quality=30)
    # A JPEG under a .png name: the format comes from the content.
    Image.fromarray(u8(64, 48, 3, 37), "RGB").save(os.path.join(out, "jpeg_named.png"), "JPEG",
                                                   quality=85)
    add("jpeg_named.png")
    # Small images for the padding crop.
    for name in ["rgb_10x7.png", "rgb_1x40.png", "gray_q30_33x17.jpg", "rgba_interlaced_7x5.png",
                 "palette4_57x43.png", "rgb_100x75.png"]:
        cases.append((name, None, ["crop"]))
    return cases


def reference(img, cfg):
    img = img.convert("RGB" if cfg["channels"] == 3 else "L")
    steps = []
    if cfg["resize"]:
        steps.append(transforms.Resize(cfg["resize"]))
    steps.append(transforms.CenterCrop(cfg["crop"]))
    steps.append(transforms.ToTensor())
    if cfg["normalize"]:
        c = cfg["channels"]
        steps.append(transforms.Normalize(cfg["mean"][:c], cfg["std"][:c]))
    t = transforms.Compose(steps)(img)
    assert t.dtype == torch.float32
    return t.numpy()


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for name, ref_image, cfgs in make_images(out):
        for cfg_name in cfgs:
            cfg = CONFIGS[cfg_name]
            img = ref_image if ref_image is not None else Image.open(os.path.join(out, name))
            t = reference(img, cfg)
            ref = f"{name}.{cfg_name}.bin"
            t.astype("<f4").tofile(os.path.join(out, ref))
            m, s = cfg["mean"], cfg["std"]
            lines.append(f"{name} {ref} {cfg['channels']} {cfg['resize']} {cfg['crop'][0]} "
                         f"{cfg['crop'][1]} {int(cfg['normalize'])} "
                         f"{m[0]!r} {m[1]!r} {m[2]!r} {s[0]!r} {s[1]!r} {s[2]!r}")
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} cases into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
