#!/usr/bin/env python3
"""Draw the illustrative hero pictures of the sample stories.

Every sample story in ``content/stories/<slug>/`` gets a ``hero.jpg``: an
abstract, photo-like picture (gradients, silhouettes, haze, soft light) related
to the story, 1600x1000, JPEG quality 85.  Pillow only, no text in the images,
and fully deterministic: every random choice comes from a ``random.Random``
seeded from the story slug, so running the script twice gives the same bytes.

Usage::

    python scripts/make_sample_images.py            # all stories
    python scripts/make_sample_images.py SLUG ...   # only these
"""

from __future__ import annotations

import math
import random
import sys
import zlib
from pathlib import Path
from typing import Callable, Sequence

from PIL import Image, ImageChops, ImageDraw, ImageFilter

W, H = 1600, 1000
ROOT = Path(__file__).resolve().parent.parent
STORIES = ROOT / "content" / "stories"

RGB = tuple[int, int, int]


# --------------------------------------------------------------------------
# helpers


def seed_for(slug: str) -> int:
    return zlib.crc32(slug.encode("utf-8"))


def mix(a: RGB, b: RGB, t: float) -> RGB:
    t = max(0.0, min(1.0, t))
    return tuple(round(a[i] + (b[i] - a[i]) * t) for i in range(3))  # type: ignore[return-value]


def gradient(stops: Sequence[tuple[float, RGB]], size: tuple[int, int] = (W, H), horizontal: bool = False) -> Image.Image:
    """Linear gradient through colour stops given as (position 0..1, colour)."""
    n = size[0] if horizontal else size[1]
    line = Image.new("RGB", (n, 1) if horizontal else (1, n))
    px = line.load()
    for i in range(n):
        p = i / max(1, n - 1)
        for (p0, c0), (p1, c1) in zip(stops, stops[1:]):
            if p0 <= p <= p1:
                col = mix(c0, c1, (p - p0) / max(1e-9, p1 - p0))
                break
        else:
            col = stops[-1][1] if p > stops[-1][0] else stops[0][1]
        if horizontal:
            px[i, 0] = col
        else:
            px[0, i] = col
    return line.resize(size, Image.BICUBIC)


def soft(layer: Image.Image, radius: float) -> Image.Image:
    """Gaussian blur of an RGBA layer without dark fringes (premultiplied alpha)."""
    if radius <= 0:
        return layer
    return layer.convert("RGBa").filter(ImageFilter.GaussianBlur(radius)).convert("RGBA")


def ridge(rng: random.Random, base: float, amp: float, rough: float = 0.55, steps: int = 9) -> list[float]:
    """Midpoint-displacement skyline: heights (y) for x = 0..W."""
    pts = [base + rng.uniform(-amp, amp), base + rng.uniform(-amp, amp)]
    a = amp
    for _ in range(steps):
        new = []
        for y0, y1 in zip(pts, pts[1:]):
            new += [y0, (y0 + y1) / 2 + rng.uniform(-a, a)]
        new.append(pts[-1])
        pts = new
        a *= rough
    n = len(pts) - 1
    return [pts[min(n, round(x / W * n))] for x in range(W + 1)]


def fill_below(img: Image.Image, ys: Sequence[float], colour: RGB, alpha: int = 255, blur: float = 0) -> None:
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    poly = [(x, ys[x]) for x in range(0, len(ys), 4)] + [(W, ys[-1]), (W, H), (0, H)]
    ImageDraw.Draw(layer).polygon(poly, fill=colour + (alpha,))
    if blur:
        layer = soft(layer, blur)
    img.alpha_composite(layer)


def glow(img: Image.Image, cx: float, cy: float, r: float, colour: RGB, alpha: int = 200, blur: float | None = None) -> None:
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour + (alpha,))
    layer = soft(layer, blur if blur is not None else r * 0.6)
    img.alpha_composite(layer)


def disc(img: Image.Image, cx: float, cy: float, r: float, colour: RGB, alpha: int = 255) -> None:
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour + (alpha,))
    img.alpha_composite(soft(layer, 1.2))


def haze(img: Image.Image, y0: float, y1: float, colour: RGB, alpha: int) -> None:
    """A band of mist between y0 and y1, densest in its middle."""
    band = Image.new("L", (1, H), 0)
    px = band.load()
    for y in range(H):
        if y0 <= y <= y1:
            t = (y - y0) / max(1, y1 - y0)
            px[0, y] = round(alpha * math.sin(math.pi * t))
    mask = band.resize((W, H))
    layer = Image.new("RGBA", img.size, colour + (0,))
    layer.putalpha(mask)
    img.alpha_composite(layer)


def reflect(img: Image.Image, horizon: int, tint: RGB, strength: float = 0.55, blur: float = 6) -> None:
    """Mirror what is above the horizon into water below it."""
    above = img.crop((0, max(0, 2 * horizon - H), W, horizon)).transpose(Image.FLIP_TOP_BOTTOM)
    above = above.filter(ImageFilter.GaussianBlur(blur))
    water = Image.new("RGBA", (W, H - horizon), tint + (255,))
    water.paste(Image.blend(above.convert("RGBA"), water, 1 - strength), (0, 0))
    # ripples: thin darker and lighter streaks
    d = ImageDraw.Draw(water)
    rng = random.Random(horizon)
    for _ in range(260):
        y = rng.uniform(0, H - horizon) ** 1.0
        x = rng.uniform(-100, W)
        ln = rng.uniform(40, 260) * (0.4 + y / (H - horizon))
        shade = rng.choice([(255, 255, 255, 26), (0, 0, 0, 30)])
        d.line((x, y, x + ln, y), fill=shade, width=rng.choice([1, 2]))
    img.alpha_composite(water.filter(ImageFilter.GaussianBlur(0.8)), (0, horizon))


def grain(img: Image.Image, rng: random.Random, amount: int = 10) -> Image.Image:
    """Soft, deterministic film grain (low-frequency so JPEGs stay small)."""
    nw, nh = W // 4, H // 4
    noise = Image.frombytes("L", (nw, nh), bytes(rng.getrandbits(8) for _ in range(nw * nh)))
    noise = noise.resize((W, H), Image.BICUBIC).filter(ImageFilter.GaussianBlur(1.2))
    noise_rgb = Image.merge("RGB", (noise, noise, noise))
    base = img.convert("RGB")
    return Image.blend(base, ImageChops.overlay(base, noise_rgb), amount / 100)


def vignette(img: Image.Image, strength: int = 120) -> None:
    mask = Image.new("L", (W, H), 0)
    ImageDraw.Draw(mask).ellipse((-W * 0.25, -H * 0.3, W * 1.25, H * 1.3), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(180))
    inv = ImageChops.invert(mask).point(lambda v: v * strength // 255)
    dark = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    dark.putalpha(inv)
    img.alpha_composite(dark)


def karst(rng: random.Random, base: float, count: int, hmin: float, hmax: float, wmin: float, wmax: float, power: float = 4) -> list[float]:
    """A skyline of steep limestone towers (sum of narrow rounded bumps)."""
    ys = [base] * (W + 1)
    for _ in range(count):
        cx = rng.uniform(-100, W + 100)
        h = rng.uniform(hmin, hmax)
        w = rng.uniform(wmin, wmax)
        lean = rng.uniform(-0.25, 0.25)
        for x in range(max(0, int(cx - 2.2 * w)), min(W, int(cx + 2.2 * w)) + 1):
            u = (x - cx) / w
            u = u * (1 + lean * (1 if u > 0 else -1))
            bump = h * math.exp(-(abs(u) ** power))
            ys[x] = min(ys[x], base - bump)
    return ys


def canvas(stops: Sequence[tuple[float, RGB]]) -> Image.Image:
    return gradient(stops).convert("RGBA")


# --------------------------------------------------------------------------
# one painter per story


def karst_bay(rng: random.Random) -> Image.Image:
    img = canvas([(0, (74, 52, 110)), (0.35, (214, 112, 96)), (0.55, (250, 176, 92)), (0.62, (255, 214, 150)), (1, (255, 214, 150))])
    glow(img, 1040, 400, 220, (255, 236, 180), 190)
    disc(img, 1040, 400, 46, (255, 244, 214))
    horizon = 640
    layers = [((150, 110, 140), 6, 120, 200), ((112, 78, 112), 9, 180, 300), ((70, 46, 78), 7, 240, 400), ((38, 24, 44), 5, 300, 520)]
    for i, (col, n, hmin, hmax) in enumerate(layers):
        ys = karst(rng, horizon, n + 3, hmin * 0.8, hmax * 0.85, 26 + 10 * i, 60 + 18 * i, power=2.6)
        fill_below(img, ys, col, 255, blur=2.5 - 0.5 * i)
        haze(img, horizon - 260, horizon + 10, (250, 190, 150), 70 - 12 * i)
    reflect(img, horizon, (96, 70, 96), strength=0.6)
    # small sails
    d = ImageDraw.Draw(img)
    for _ in range(4):
        x = rng.uniform(250, 1400)
        y = rng.uniform(horizon + 60, horizon + 240)
        s = (y - horizon) / 240 * 40 + 18
        d.polygon([(x, y), (x + s * 0.2, y - s * 1.6), (x + s * 0.9, y - s * 0.2)], fill=(36, 22, 34, 255))
        d.rectangle((x - s * 0.4, y, x + s * 1.1, y + s * 0.18), fill=(30, 18, 30, 255))
    return img


def tube_houses(rng: random.Random) -> Image.Image:
    img = canvas([(0, (38, 44, 96)), (0.45, (120, 84, 150)), (0.75, (236, 150, 120)), (1, (250, 196, 150))])
    d = ImageDraw.Draw(img)
    palette = [(206, 164, 84), (112, 160, 156), (196, 112, 110), (226, 196, 140), (134, 120, 170), (190, 136, 78), (92, 130, 120)]
    # far row, hazy
    for row, (ybase, scale, fade) in enumerate([(760, 0.7, 0.55), (1000, 1.0, 0.0)]):
        x = -30
        while x < W:
            w = rng.randint(70, 150) * scale
            h = rng.randint(320, 620) * scale
            col = mix(rng.choice(palette), (120, 90, 140), fade)
            col_dark = mix(col, (20, 16, 30), 0.45)
            top = ybase - h
            d.rectangle((x, top, x + w, ybase), fill=col + (255,))
            d.rectangle((x + w - 6 * scale, top, x + w, ybase), fill=col_dark + (255,))
            # roof line
            d.rectangle((x - 4, top - 10 * scale, x + w + 4, top), fill=col_dark + (255,))
            # windows and balconies
            fy = top + 30 * scale
            while fy < ybase - 90 * scale:
                lit = rng.random() < 0.7
                wc = mix((255, 214, 130), col, fade) if lit else mix(col_dark, (40, 40, 60), 0.3)
                d.rectangle((x + w * 0.22, fy, x + w * 0.78, fy + 52 * scale), fill=wc + (255,))
                d.line((x + w * 0.22, fy + 26 * scale, x + w * 0.78, fy + 26 * scale), fill=col_dark + (255,), width=2)
                d.rectangle((x + w * 0.12, fy + 60 * scale, x + w * 0.88, fy + 66 * scale), fill=col_dark + (255,))
                fy += 96 * scale
            x += w + rng.randint(0, 6)
        if row == 0:
            blurred = img.filter(ImageFilter.GaussianBlur(3))
            img.paste(blurred)
            haze(img, 420, 780, (230, 160, 150), 70)
            d = ImageDraw.Draw(img)
    # warm glow of street
    glow(img, 800, 1040, 520, (255, 190, 120), 90, 140)
    return img


def cave_light(rng: random.Random) -> Image.Image:
    img = canvas([(0, (30, 28, 26)), (0.5, (48, 44, 40)), (1, (22, 20, 18))])
    # skylight opening
    glow(img, 980, 120, 260, (200, 224, 210), 150, 120)
    layer = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ImageDraw.Draw(layer).ellipse((820, 30, 1140, 200), fill=(236, 246, 236, 255))
    img.alpha_composite(soft(layer, 18))
    # beam
    beam = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ImageDraw.Draw(beam).polygon([(860, 110), (1110, 110), (860, 1000), (420, 1000)], fill=(230, 240, 220, 110))
    img.alpha_composite(soft(beam, 40))
    # dust in the beam
    d = ImageDraw.Draw(img)
    for _ in range(220):
        t = rng.random()
        x = 860 + (1110 - 860) * rng.random() * (1 - t) + (420 - 860) * t + 440 * rng.random() * t
        y = 110 + 890 * t
        r = rng.uniform(0.8, 2.2)
        d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 240, rng.randint(40, 120)))
    # green growth where the light lands
    for _ in range(70):
        x = rng.gauss(700, 170)
        y = rng.gauss(840, 40)
        r = rng.uniform(14, 46)
        glow(img, x, y, r, mix((60, 120, 50), (140, 180, 80), rng.random()), 210, r * 0.35)
    # cave walls and stalagmites
    left = [(0, 0), (330, 0), (260, 300), (300, 560), (180, 820), (240, 1000), (0, 1000)]
    right = [(W, 0), (1300, 0), (1380, 260), (1290, 520), (1420, 760), (1360, 1000), (W, 1000)]
    walls = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    wd = ImageDraw.Draw(walls)
    wd.polygon(left, fill=(14, 12, 10, 255))
    wd.polygon(right, fill=(14, 12, 10, 255))
    wd.polygon([(0, 0), (W, 0), (W, 60), (1140, 110), (820, 100), (0, 70)], fill=(12, 10, 9, 255))
    for _ in range(9):
        x = rng.uniform(150, 1450)
        h = rng.uniform(60, 200)
        w = rng.uniform(18, 40)
        wd.polygon([(x - w, 1000), (x, 1000 - h), (x + w, 1000)], fill=(20, 18, 16, 255))
    img.alpha_composite(soft(walls, 6))
    haze(img, 500, 1000, (150, 160, 150), 60)
    return img


def rice_terraces(rng: random.Random) -> Image.Image:
    img = canvas([(0, (150, 190, 220)), (0.35, (236, 220, 180)), (0.5, (250, 214, 150)), (1, (250, 214, 150))])
    glow(img, 1250, 260, 170, (255, 240, 190), 200)
    disc(img, 1250, 260, 40, (255, 250, 226))
    for i, col in enumerate([(150, 170, 190), (120, 144, 170), (96, 122, 140)]):
        fill_below(img, ridge(rng, 330 + 60 * i, 70, 0.55), col, 255, blur=2)
        haze(img, 260 + 60 * i, 470 + 60 * i, (240, 220, 180), 60)
    # terraces: stacked curved bands
    d = ImageDraw.Draw(img)
    phase = rng.uniform(0, 6)
    y = 470.0
    k = 0
    while y < H + 40:
        thick = 14 + (y - 470) * 0.09
        col = mix((168, 176, 70), (90, 140, 50), (k % 5) / 5)
        col = mix(col, (236, 196, 110), 0.35 * (1 - (y - 470) / 600))
        pts_top = [(x, y + 38 * math.sin(x / 230 + phase + k * 0.18) + 20 * math.sin(x / 97 + k)) for x in range(-10, W + 20, 10)]
        pts_bot = [(x, yy + thick) for x, yy in reversed(pts_top)]
        d.polygon(pts_top + pts_bot, fill=col + (255,))
        d.line(pts_top, fill=mix(col, (60, 70, 20), 0.5) + (255,), width=3)
        d.line([(x, yy + 3) for x, yy in pts_top], fill=(255, 236, 170, 120), width=2)
        y += thick * 0.82
        k += 1
    img.alpha_composite(Image.new("RGBA", (W, H), (255, 220, 150, 24)))
    return img


def desert_pavilion(rng: random.Random) -> Image.Image:
    img = canvas([(0, (40, 110, 190)), (0.5, (130, 190, 230)), (0.62, (236, 222, 200)), (1, (236, 222, 200))])
    glow(img, 300, 160, 120, (255, 255, 240), 120)
    # dunes
    for i, (col, base) in enumerate([((226, 184, 130), 600), ((214, 160, 100), 680), ((196, 136, 80), 790), ((176, 112, 64), 900)]):
        ys = [base + 60 * math.sin(x / (380 - 40 * i) + i * 1.7) + 25 * math.sin(x / 140 + i) for x in range(W + 1)]
        fill_below(img, ys, col, 255, blur=1.5)
        # shaded lee side
        shade = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        sd = ImageDraw.Draw(shade)
        for x in range(0, W, 4):
            if math.cos(x / (380 - 40 * i) + i * 1.7) < -0.2:
                sd.line((x, ys[x], x, ys[x] + 60), fill=(110, 60, 40, 40), width=4)
        img.alpha_composite(soft(shade, 14))
    # woven dome pavilion
    cx, cy, rx, ry = 820, 640, 250, 190
    dome = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    dd = ImageDraw.Draw(dome)
    dd.pieslice((cx - rx, cy - ry, cx + rx, cy + ry), 180, 360, fill=(196, 150, 90, 255))
    rib = (112, 76, 38, 235)
    # meridians: bamboo ribs rising from the base to the crown, crossing in a weave
    for k in range(-14, 15):
        f = k / 14
        for twist in (-0.35, 0.35):
            pts = []
            for t in range(0, 101, 2):
                a = math.pi / 2 * t / 100
                x = cx + rx * (f * math.cos(a) + twist * math.sin(2 * a) * (1 - abs(f)) * 0.5)
                y = cy - ry * math.sin(a)
                pts.append((x, y))
            dd.line(pts, fill=rib, width=3)
    # parallels: rings of the dome
    for j in range(1, 9):
        bang = math.pi / 2 * j / 9
        y = cy - ry * math.sin(bang)
        hw = rx * math.cos(bang)
        dd.arc((cx - hw, y - 10 * math.cos(bang), cx + hw, y + 10 * math.cos(bang)), 0, 180, fill=rib, width=4)
    dd.rectangle((cx - rx - 30, cy - 6, cx + rx + 30, cy + 14), fill=(120, 82, 44, 255))
    mask = Image.new("L", (W, H), 0)
    ImageDraw.Draw(mask).pieslice((cx - rx, cy - ry, cx + rx, cy + ry + 6), 180, 360, fill=255)
    ImageDraw.Draw(mask).rectangle((cx - rx - 30, cy - 6, cx + rx + 30, cy + 14), fill=255)
    dome.putalpha(ImageChops.multiply(dome.getchannel("A"), mask))
    light = gradient([(0, (255, 240, 200)), (1, (90, 60, 30))], (W, H), horizontal=True).convert("RGBA")
    light.putalpha(dome.getchannel("A").point(lambda v: v * 70 // 255))
    img.alpha_composite(soft(dome, 0.8))
    img.alpha_composite(light)
    glow(img, cx, cy + 20, 300, (90, 50, 30), 60, 40)
    return img


def sound_waves(rng: random.Random) -> Image.Image:
    img = canvas([(0, (40, 24, 90)), (0.5, (70, 60, 170)), (1, (30, 110, 170))])
    for _ in range(26):
        glow(img, rng.uniform(0, W), rng.uniform(0, H), rng.uniform(30, 110), rng.choice([(255, 120, 200), (120, 220, 255), (255, 210, 120)]), 70, 30)
    bars = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    d = ImageDraw.Draw(bars)
    n = 48
    for i in range(n):
        x = 120 + i * (W - 240) / n
        env = math.sin(math.pi * i / (n - 1))
        h = 60 + env * rng.uniform(200, 520)
        col = mix((255, 90, 170), (80, 230, 255), i / n)
        d.rounded_rectangle((x, 560 - h / 2, x + 18, 560 + h / 2), radius=9, fill=col + (235,))
    img.alpha_composite(soft(bars, 6))
    img.alpha_composite(bars)
    # speech bubbles, empty
    bub = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    bd = ImageDraw.Draw(bub)
    for x, y, w, h, tail in [(150, 110, 330, 170, 1), (1100, 140, 360, 190, -1), (660, 800, 280, 140, 1)]:
        bd.rounded_rectangle((x, y, x + w, y + h), radius=48, fill=(255, 255, 255, 70), outline=(255, 255, 255, 170), width=4)
        tx = x + (w * 0.25 if tail > 0 else w * 0.75)
        bd.polygon([(tx, y + h - 2), (tx + 40 * tail, y + h - 2), (tx - 10 * tail, y + h + 60)], fill=(255, 255, 255, 70))
    img.alpha_composite(soft(bub, 1))
    return img


def star(cx: float, cy: float, r: float, rot: float) -> list[tuple[float, float]]:
    pts = []
    for k in range(10):
        rr = r if k % 2 == 0 else r * 0.42
        a = rot + k * math.pi / 5
        pts.append((cx + rr * math.sin(a), cy - rr * math.cos(a)))
    return pts


def moon_lanterns(rng: random.Random) -> Image.Image:
    img = canvas([(0, (8, 12, 40)), (0.6, (24, 34, 80)), (1, (40, 36, 70))])
    d = ImageDraw.Draw(img)
    for _ in range(160):
        x, y = rng.uniform(0, W), rng.uniform(0, H * 0.6)
        r = rng.uniform(0.6, 1.8)
        d.ellipse((x - r, y - r, x + r, y + r), fill=(255, 255, 230, rng.randint(80, 200)))
    glow(img, 1150, 260, 260, (255, 236, 170), 120)
    disc(img, 1150, 260, 150, (255, 238, 190))
    # soft moon markings
    for _ in range(6):
        glow(img, 1150 + rng.uniform(-70, 70), 260 + rng.uniform(-70, 70), rng.uniform(18, 36), (236, 214, 168), 45, 16)
    # tree line
    fill_below(img, ridge(rng, 860, 40, 0.7, 10), (10, 12, 24), 255, blur=1)
    for i in range(7):
        cx = 140 + i * 200 + rng.uniform(-40, 40)
        cy = rng.uniform(420, 760)
        r = rng.uniform(48, 80)
        col = rng.choice([(230, 50, 40), (250, 180, 40), (240, 90, 40)])
        glow(img, cx, cy, r * 1.6, col, 110)
        lay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        ld = ImageDraw.Draw(lay)
        ld.line((cx, cy + r * 0.4, cx + rng.uniform(-60, 60), 1000), fill=(30, 20, 20, 255), width=5)
        ld.polygon(star(cx, cy, r, rng.uniform(-0.3, 0.3)), fill=col + (240,), outline=(255, 230, 160, 255))
        ld.ellipse((cx - r * 0.18, cy - r * 0.18, cx + r * 0.18, cy + r * 0.18), fill=(255, 240, 180, 255))
        for k in range(5):
            a = k * 2 * math.pi / 5
            ld.line((cx, cy, cx + r * 0.9 * math.sin(a), cy - r * 0.9 * math.cos(a)), fill=(255, 220, 150, 120), width=2)
        img.alpha_composite(soft(lay, 1.3))
    return img


def festival_lights(rng: random.Random) -> Image.Image:
    img = canvas([(0, (50, 40, 90)), (0.5, (180, 90, 110)), (1, (70, 40, 60))])
    # bokeh background
    for _ in range(90):
        glow(img, rng.uniform(0, W), rng.uniform(300, 900), rng.uniform(10, 38), rng.choice([(255, 200, 120), (255, 150, 90), (255, 240, 200)]), rng.randint(60, 140), rng.uniform(3, 8))
    # stall roofs
    d = ImageDraw.Draw(img)
    x = -40
    while x < W:
        w = rng.uniform(180, 300)
        top = rng.uniform(640, 700)
        col = rng.choice([(40, 26, 40), (56, 30, 44), (34, 22, 36)])
        d.polygon([(x, top + 60), (x + w / 2, top), (x + w, top + 60)], fill=col + (255,))
        d.rectangle((x + 10, top + 60, x + w - 10, H), fill=mix(col, (0, 0, 0), 0.3) + (255,))
        d.rectangle((x + 24, top + 90, x + w - 24, top + 200), fill=(255, 190, 110, 150))
        x += w + 8
    # strings of lanterns
    for row in range(3):
        y0 = 140 + row * 150
        sag = 80 + row * 20
        pts = [(x, y0 + sag * (1 - ((x - W / 2) / (W / 2)) ** 2)) for x in range(-20, W + 21, 20)]
        d.line(pts, fill=(30, 20, 30, 255), width=3)
        for k in range(0, len(pts), 4):
            lx, ly = pts[k]
            col = rng.choice([(230, 60, 50), (255, 236, 210), (250, 150, 50)])
            glow(img, lx, ly + 38, 46, col, 120, 24)
            lay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
            ld = ImageDraw.Draw(lay)
            ld.line((lx, ly, lx, ly + 10), fill=(30, 20, 30, 255), width=2)
            ld.ellipse((lx - 22, ly + 10, lx + 22, ly + 66), fill=col + (255,))
            ld.rectangle((lx - 12, ly + 8, lx + 12, ly + 14), fill=(40, 26, 30, 255))
            ld.rectangle((lx - 12, ly + 62, lx + 12, ly + 68), fill=(40, 26, 30, 255))
            for j in (-12, 0, 12):
                ld.arc((lx - 22 + abs(j) * 0.6, ly + 10, lx + 22 - abs(j) * 0.6, ly + 66), 270, 90, fill=mix(col, (0, 0, 0), 0.25) + (200,))
            img.alpha_composite(soft(lay, 1.5 if row else 0.8))
            d = ImageDraw.Draw(img)
    return img


def fireworks(rng: random.Random) -> Image.Image:
    img = canvas([(0, (6, 8, 28)), (0.7, (20, 24, 60)), (1, (20, 24, 60))])
    horizon = 720
    colours = [(255, 90, 80), (255, 210, 90), (120, 220, 255), (200, 130, 255), (130, 255, 160)]
    for _ in range(6):
        cx, cy = rng.uniform(180, 1420), rng.uniform(150, 520)
        r = rng.uniform(120, 230)
        col = rng.choice(colours)
        glow(img, cx, cy, r * 0.8, col, 60)
        lay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        ld = ImageDraw.Draw(lay)
        for k in range(70):
            a = rng.uniform(0, 2 * math.pi)
            rr = r * rng.uniform(0.7, 1.0)
            for s in range(8):
                t = s / 8
                x = cx + rr * t * math.cos(a)
                y = cy + rr * t * math.sin(a) + 30 * t * t
                q = 1.2 + 1.6 * t
                ld.ellipse((x - q, y - q, x + q, y + q), fill=mix(col, (255, 255, 255), 0.4 * (1 - t)) + (round(60 + 180 * t),))
        img.alpha_composite(soft(lay, 1.1))
        img.alpha_composite(lay)
    # skyline
    d = ImageDraw.Draw(img)
    x = 0
    while x < W:
        w = rng.uniform(40, 120)
        h = rng.uniform(30, 150)
        d.rectangle((x, horizon - h, x + w, horizon), fill=(10, 10, 22, 255))
        for _ in range(int(w * h / 900)):
            wx, wy = rng.uniform(x + 4, x + w - 8), rng.uniform(horizon - h + 6, horizon - 8)
            d.rectangle((wx, wy, wx + 4, wy + 6), fill=(255, 220, 150, 200))
        x += w
    reflect(img, horizon, (12, 14, 40), strength=0.7, blur=10)
    return img


def savanna(rng: random.Random) -> Image.Image:
    img = canvas([(0, (50, 120, 200)), (0.45, (150, 200, 235)), (0.58, (240, 226, 200)), (1, (240, 226, 200))])
    for _ in range(7):
        cx, cy = rng.uniform(0, W), rng.uniform(80, 380)
        for _ in range(6):
            glow(img, cx + rng.uniform(-120, 120), cy + rng.uniform(-30, 30), rng.uniform(40, 90), (255, 255, 255), 110, 30)
    horizon = 600
    fill_below(img, ridge(rng, horizon - 20, 20, 0.6), (150, 150, 150), 255, blur=3)
    fill_below(img, [horizon + 10 + 6 * math.sin(x / 300) for x in range(W + 1)], (206, 170, 100), 255, blur=1)
    grass = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    gd = ImageDraw.Draw(grass)
    for _ in range(3000):
        y = horizon + 20 + (rng.random() ** 1.8) * (H - horizon)
        x = rng.uniform(0, W)
        ln = 4 + (y - horizon) * 0.05
        gd.line((x, y, x + rng.uniform(-3, 3), y - ln), fill=mix((150, 110, 50), (230, 200, 130), rng.random()) + (200,), width=1 if y < 800 else 2)
    img.alpha_composite(grass)
    # white tents in a row
    d = ImageDraw.Draw(img)
    for k in range(8):
        x = 980 + k * 62
        y = horizon + 18
        d.polygon([(x, y), (x + 26, y - 28), (x + 52, y)], fill=(246, 246, 240, 255))
        d.polygon([(x + 26, y - 28), (x + 52, y), (x + 40, y)], fill=(200, 200, 196, 255))
    # acacia trees
    for cx, scale in [(330, 1.0), (640, 0.55), (1450, 0.75), (860, 0.35)]:
        base = horizon + 40 + 200 * scale
        lay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
        ld = ImageDraw.Draw(lay)
        ld.line((cx, base, cx - 10 * scale, base - 160 * scale), fill=(50, 36, 26, 255), width=max(3, int(14 * scale)))
        ld.line((cx - 10 * scale, base - 160 * scale, cx - 90 * scale, base - 240 * scale), fill=(50, 36, 26, 255), width=max(2, int(8 * scale)))
        ld.line((cx - 10 * scale, base - 160 * scale, cx + 80 * scale, base - 235 * scale), fill=(50, 36, 26, 255), width=max(2, int(8 * scale)))
        for _ in range(26):
            ex = cx + rng.uniform(-190, 190) * scale
            ey = base - 250 * scale + rng.uniform(-22, 14) * scale
            ld.ellipse((ex - 60 * scale, ey - 18 * scale, ex + 60 * scale, ey + 18 * scale), fill=(58, 80, 40, 255))
        img.alpha_composite(soft(lay, 1.2 + (1 - scale) * 1.5))
    return img


def seedling_field(rng: random.Random) -> Image.Image:
    img = canvas([(0, (190, 210, 220)), (0.35, (236, 234, 214)), (0.42, (250, 240, 210)), (1, (250, 240, 210))])
    horizon = 420
    fill_below(img, ridge(rng, horizon - 30, 25, 0.6), (168, 190, 176), 255, blur=4)
    glow(img, 520, horizon - 70, 160, (255, 236, 190), 150)
    disc(img, 520, horizon - 70, 34, (255, 250, 232))
    fill_below(img, [horizon] * (W + 1), (110, 150, 90), 255)
    # water between rows, reflecting the sky
    field = gradient([(0, (200, 214, 200)), (1, (120, 150, 130))], (W, H - horizon)).convert("RGBA")
    img.alpha_composite(field, (0, horizon))
    d = ImageDraw.Draw(img)
    vx = 900
    rows = 44
    for i in range(rows):
        xb = -1400 + i * (W + 2800) / rows
        # row of seedlings along the line from (xb, H) to vanishing point (vx, horizon)
        for s in range(70):
            t = (s / 70) ** 1.8
            x = xb + (vx - xb) * t
            y = H + (horizon - H) * t
            sz = 18 * (1 - t) + 1.5
            g = mix((70, 150, 50), (150, 190, 120), t)
            d.line((x, y, x - sz * 0.4, y - sz * 1.6), fill=g + (255,), width=max(1, int(sz / 5)))
            d.line((x, y, x + sz * 0.5, y - sz * 1.4), fill=g + (255,), width=max(1, int(sz / 5)))
            d.line((x, y, x, y - sz * 1.9), fill=mix(g, (40, 110, 40), 0.3) + (255,), width=max(1, int(sz / 5)))
    haze(img, horizon - 120, horizon + 180, (250, 246, 230), 150)
    return img


def harbour_city(rng: random.Random) -> Image.Image:
    img = canvas([(0, (60, 60, 120)), (0.35, (214, 120, 130)), (0.6, (255, 190, 130)), (1, (255, 190, 130))])
    glow(img, 400, 560, 150, (255, 230, 170), 200)
    horizon = 640
    d = ImageDraw.Draw(img)
    # skyline, two depths
    for depth, col in [(0, (150, 100, 130)), (1, (70, 46, 70))]:
        x = 560 + depth * 40
        while x < W:
            w = rng.uniform(40, 110)
            h = rng.uniform(120, 360) * (1 + 0.3 * depth)
            d.rectangle((x, horizon - h, x + w, horizon), fill=col + (255,))
            if depth and rng.random() < 0.4:
                d.line((x + w / 2, horizon - h, x + w / 2, horizon - h - 40), fill=col + (255,), width=3)
            x += w + rng.uniform(0, 20)
        if depth == 0:
            haze(img, horizon - 400, horizon, (250, 180, 150), 60)
            d = ImageDraw.Draw(img)
    # gantry cranes
    for cx in (120, 330, 520):
        c = (40, 26, 44, 255)
        d.line((cx, horizon, cx, horizon - 260), fill=c, width=10)
        d.line((cx + 70, horizon, cx + 70, horizon - 260), fill=c, width=10)
        d.line((cx - 120, horizon - 250, cx + 220, horizon - 250), fill=c, width=12)
        d.line((cx, horizon - 250, cx + 35, horizon - 320), fill=c, width=6)
        d.line((cx + 70, horizon - 250, cx + 35, horizon - 320), fill=c, width=6)
        d.line((cx - 120, horizon - 250, cx + 35, horizon - 320), fill=c, width=3)
        d.line((cx + 220, horizon - 250, cx + 35, horizon - 320), fill=c, width=3)
        for k in range(5):
            d.line((cx, horizon - 50 * k, cx + 70, horizon - 50 * (k + 1)), fill=c, width=3)
    # container stacks
    colours = [(170, 60, 50), (50, 90, 140), (200, 140, 50), (60, 120, 90), (150, 150, 150)]
    x = 0
    while x < 600:
        for lvl in range(rng.randint(1, 4)):
            d.rectangle((x, horizon - 26 * (lvl + 1), x + 70, horizon - 26 * lvl - 2), fill=mix(rng.choice(colours), (60, 40, 60), 0.45) + (255,))
        x += 74
    reflect(img, horizon, (80, 60, 90), strength=0.6, blur=7)
    return img


def brocade(rng: random.Random) -> Image.Image:
    img = Image.new("RGBA", (W, H), (30, 36, 80, 255))
    d = ImageDraw.Draw(img)
    indigo, red, yellow, white, green, black = (34, 44, 98), (180, 36, 40), (236, 184, 50), (240, 232, 214), (40, 120, 90), (24, 20, 24)
    y = 0
    band = 0
    while y < H:
        h = rng.choice([60, 90, 120, 150])
        bg = [indigo, red, black, indigo, yellow][band % 5]
        fg = [yellow, white, red, white, red][band % 5]
        ac = [red, yellow, yellow, green, indigo][band % 5]
        d.rectangle((0, y, W, y + h), fill=bg + (255,))
        kind = band % 4
        if kind == 0:  # diamonds
            s = h * 0.42
            for x in range(0, W + int(2 * s), int(2 * s)):
                d.polygon([(x, y + h / 2 - s), (x + s, y + h / 2), (x, y + h / 2 + s), (x - s, y + h / 2)], fill=fg + (255,))
                d.polygon([(x, y + h / 2 - s / 2), (x + s / 2, y + h / 2), (x, y + h / 2 + s / 2), (x - s / 2, y + h / 2)], fill=ac + (255,))
        elif kind == 1:  # zigzag
            step = h * 0.5
            pts = [(x, y + (h * 0.25 if (x // int(step)) % 2 == 0 else h * 0.75)) for x in range(0, W + int(step), int(step))]
            d.line(pts, fill=fg + (255,), width=max(6, int(h * 0.14)), joint="curve")
            pts2 = [(px, py + (h * 0.2 if py < y + h / 2 else -h * 0.2)) for px, py in pts]
            d.line(pts2, fill=ac + (255,), width=max(3, int(h * 0.06)))
        elif kind == 2:  # squares and crosses
            s = h * 0.3
            for x in range(int(s), W, int(h * 0.9)):
                d.rectangle((x - s, y + h / 2 - s, x + s, y + h / 2 + s), outline=fg + (255,), width=5)
                d.line((x - s * 0.6, y + h / 2, x + s * 0.6, y + h / 2), fill=ac + (255,), width=6)
                d.line((x, y + h / 2 - s * 0.6, x, y + h / 2 + s * 0.6), fill=ac + (255,), width=6)
        else:  # stars / eight-pointed motifs
            s = h * 0.36
            for x in range(int(s), W, int(h * 1.1)):
                d.polygon(star(x, y + h / 2, s, 0), fill=fg + (255,))
                d.ellipse((x - s * 0.2, y + h / 2 - s * 0.2, x + s * 0.2, y + h / 2 + s * 0.2), fill=ac + (255,))
        # thin separating stripes
        d.rectangle((0, y + h - 8, W, y + h - 4), fill=white + (255,))
        d.rectangle((0, y + h - 4, W, y + h), fill=red + (255,))
        y += h
        band += 1
    # woven texture: fine vertical/horizontal threads
    tex = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    td = ImageDraw.Draw(tex)
    for x in range(0, W, 6):
        td.line((x, 0, x, H), fill=(0, 0, 0, 22))
    img.alpha_composite(tex)
    img = img.filter(ImageFilter.GaussianBlur(1.6))
    # soft folds of the cloth and a lighting gradient
    folds = Image.new("L", (W, H))
    fp = [round(128 + 60 * math.sin(x / 170 + 0.7) + 30 * math.sin(x / 63)) for x in range(W)]
    folds.putdata([fp[i % W] for i in range(W * H)])
    light = Image.merge("RGB", (folds, folds, folds))
    img = Image.blend(img.convert("RGB"), ImageChops.overlay(img.convert("RGB"), light), 0.55).convert("RGBA")
    side = gradient([(0, (255, 240, 220)), (1, (40, 30, 50))], (W, H), horizontal=True).convert("RGBA")
    side.putalpha(50)
    img.alpha_composite(side)
    return img


def ink_mountains(rng: random.Random) -> Image.Image:
    img = canvas([(0, (236, 228, 206)), (1, (222, 212, 186))])
    # paper fibres
    d = ImageDraw.Draw(img)
    for _ in range(900):
        x, y = rng.uniform(0, W), rng.uniform(0, H)
        a = rng.uniform(0, math.pi)
        ln = rng.uniform(4, 18)
        d.line((x, y, x + ln * math.cos(a), y + ln * math.sin(a)), fill=(180, 168, 140, 60))
    disc(img, 1180, 230, 90, (246, 240, 226))
    glow(img, 1180, 230, 140, (255, 250, 236), 90)
    for i in range(5):
        shade = round(190 - i * 34)
        col = (shade, shade, round(shade * 0.98))
        ys = karst(rng, 520 + i * 110, 6 + i, 140 + i * 30, 300 + i * 40, 60 + 20 * i, 150 + 30 * i, power=1.4)
        fill_below(img, ys, col, 255 if i else 220, blur=6 - i)
        haze(img, 480 + i * 110, 700 + i * 110, (236, 228, 206), 200 - i * 20)
    # a few ink strokes: pine branch
    lay = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    ld = ImageDraw.Draw(lay)
    ld.line([(0, 130), (160, 170), (290, 160), (380, 210)], fill=(40, 36, 32, 230), width=9, joint="curve")
    for k in range(14):
        bx = 60 + k * 23
        by = 150 + 20 * math.sin(k / 3)
        for j in range(7):
            a = math.pi / 2 + (j - 3) * 0.28
            ld.line((bx, by, bx + 34 * math.cos(a), by + 34 * math.sin(a)), fill=(50, 60, 48, 170), width=2)
    img.alpha_composite(soft(lay, 0.9))
    return img


def radio_waves(rng: random.Random) -> Image.Image:
    img = canvas([(0, (30, 34, 90)), (0.55, (110, 90, 170)), (0.8, (240, 160, 140)), (1, (250, 200, 160))])
    tx, ty = 980, 330
    waves = Image.new("RGBA", (W, H), (0, 0, 0, 0))
    wd = ImageDraw.Draw(waves)
    for k in range(1, 12):
        r = k * 70
        wd.ellipse((tx - r, ty - r, tx + r, ty + r), outline=(255, 230, 200, max(20, 170 - k * 14)), width=4)
    img.alpha_composite(soft(waves, 2))
    glow(img, tx, ty, 60, (255, 240, 210), 200)
    for i, col in enumerate([(90, 70, 120), (60, 44, 80), (30, 22, 44)]):
        fill_below(img, ridge(rng, 720 + 80 * i, 60 - 10 * i, 0.55), col, 255, blur=2.5 - i)
        haze(img, 640 + 80 * i, 820 + 80 * i, (240, 170, 160), 50)
    # lattice tower
    d = ImageDraw.Draw(img)
    base_y = 760
    c = (20, 16, 30, 255)
    d.line((tx - 70, base_y, tx - 6, ty + 10), fill=c, width=6)
    d.line((tx + 70, base_y, tx + 6, ty + 10), fill=c, width=6)
    for k in range(12):
        t0, t1 = k / 12, (k + 1) / 12
        y0, y1 = base_y + (ty + 10 - base_y) * t0, base_y + (ty + 10 - base_y) * t1
        w0, w1 = 70 - 64 * t0, 70 - 64 * t1
        d.line((tx - w0, y0, tx + w1, y1), fill=c, width=2)
        d.line((tx + w0, y0, tx - w1, y1), fill=c, width=2)
        d.line((tx - w1, y1, tx + w1, y1), fill=c, width=2)
    d.line((tx, ty + 10, tx, ty - 60), fill=c, width=4)
    glow(img, tx, ty - 62, 10, (255, 60, 60), 255, 4)
    return img


def generic(rng: random.Random) -> Image.Image:
    top = (rng.randint(20, 90), rng.randint(40, 120), rng.randint(90, 180))
    low = (rng.randint(200, 255), rng.randint(150, 220), rng.randint(100, 180))
    img = canvas([(0, top), (0.6, low), (1, low)])
    for i in range(4):
        fill_below(img, ridge(rng, 520 + i * 110, 80, 0.55), mix(low, (20, 20, 30), 0.3 + 0.18 * i), 255, blur=3 - 0.6 * i)
    return img


PAINTERS: dict[str, Callable[[random.Random], Image.Image]] = {
    "viet-nam-va-31-danh-hieu-unesco": karst_bay,
    "ha-noi-thanh-pho-sang-tao-ve-thiet-ke": tube_houses,
    "son-doong-tren-man-anh-the-gioi": cave_light,
    "nhung-dai-su-du-lich-cua-viet-nam": rice_terraces,
    "gian-hang-viet-nam-tai-expo-2020-dubai": desert_pavilion,
    "ban-tin-rap-chong-tin-gia-ve-covid-19": sound_waves,
    "trung-tam-van-hoa-viet-nam-tai-lao-va-phap": moon_lanterns,
    "le-hoi-viet-nam-tai-nhat-ban": festival_lights,
    "nam-2023-nhung-moc-ky-niem-quan-he-ngoai-giao": fireworks,
    "mu-noi-xanh-viet-nam-vi-hoa-binh": savanna,
    "cung-ban-be-khac-phuc-hau-qua-chien-tranh": seedling_field,
    "tu-doi-moi-den-muc-tieu-2045": harbour_city,
    "nam-muoi-tu-dan-toc-mot-mai-nha-chung": brocade,
    "nhat-ky-trong-tu-qua-nhieu-thu-tieng": ink_mountains,
    "dai-phat-thanh-doi-ngoai-noi-13-thu-tieng": radio_waves,
}


def render(slug: str) -> Image.Image:
    rng = random.Random(seed_for(slug))
    img = PAINTERS.get(slug, generic)(rng)
    if img.size != (W, H):
        img = img.resize((W, H))
    img = img.convert("RGBA")
    vignette(img, 90)
    return grain(img, random.Random(seed_for(slug) ^ 0x5EED), amount=8)


def main(argv: Sequence[str]) -> int:
    slugs = list(argv) or sorted(p.name for p in STORIES.iterdir() if (p / "index.md").is_file())
    for slug in slugs:
        out = STORIES / slug / "hero.jpg"
        render(slug).save(out, "JPEG", quality=85, optimize=True, progressive=True)
        print(f"{out.relative_to(ROOT)}  {out.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
