#!/usr/bin/env python3
"""Derives plait's fast PP-OCRv4 models from the published ones (run by scripts/setup).

PaddleOCR's ONNX exports spell every activation out op by op: each convolution is followed
by a learnable affine (Mul, Add by scalars), hard-swish as Add/Clip/Mul/Div, and a second
affine. ONNX Runtime cannot fuse these, so half of the recogniser's time goes to
element-wise passes and layout reorders around the convolutions. This script:

1. folds the affine after a convolution into its weights and bias (exact);
2. rewrites hard-swish as the one HardSwish operator (opset 14), which ONNX Runtime
   fuses into the convolution (exact);
3. folds the affine before a convolution into it: wholly for unpadded (1x1) convolutions,
   only the scale for padded ones (a shift does not commute with zero padding, so it stays
   an Add) (exact);
4. quantises the recogniser's convolutions to INT8 (QDQ, per-channel weights) with
   activation ranges from a committed calibration table, so the output does not depend on
   the machine that runs this.

Steps 1-3 give `EXACT_DIR` (the same function as the published models, to float
rounding); `INT8_DIR` holds the same detector and classifier with the step-4
recogniser. Output is byte-for-byte deterministic for the pinned onnx, numpy and
onnxruntime versions.

usage: optimize_ocr.py SRC_DIR EXACT_DIR INT8_DIR
       optimize_ocr.py --calibrate TABLE_JSON SRC_DIR PDF...   (development: rebuilds the
       calibration table from line crops of the given PDFs; needs pypdfium2)
"""
import collections
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper, version_converter

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = os.path.join(HERE, "data", "ppocrv4-rec-calibration.json")
REC_HEIGHT = 48
REC_MAX_WIDTH = 2400


def fuse(model: onnx.ModelProto) -> collections.Counter:
    """Steps 1-3 above, in place. Returns how often each rewrite applied."""
    g = model.graph
    const = {n.output[0]: numpy_helper.to_array(n.attribute[0].t)
             for n in g.node if n.op_type == "Constant"}
    const.update({i.name: numpy_helper.to_array(i) for i in g.initializer})
    stats = collections.Counter()

    def consumers():
        cons = collections.defaultdict(list)
        for n in g.node:
            for i in n.input:
                cons[i].append(n)
        for o in g.output:
            cons[o.name].append(None)
        return cons

    def sole(cons, name, op):
        c = cons[name]
        return c[0] if len(c) == 1 and c[0] is not None and c[0].op_type == op else None

    def scalar(n):
        if n is None or len(n.input) != 2:
            return None
        a, b = n.input
        if a in const and const[a].size == 1:
            return b, float(const[a].ravel()[0])
        if b in const and const[b].size == 1:
            return a, float(const[b].ravel()[0])
        return None

    def new_const(arr):
        name = f"plait_fused_{stats['constants']}"
        stats["constants"] += 1
        arr = np.asarray(arr, dtype=np.float32)
        g.initializer.append(numpy_helper.from_array(arr, name))
        const[name] = arr
        return name

    def conv_params(n):
        w = const[n.input[1]].astype(np.float64)
        b = (const[n.input[2]].astype(np.float64) if len(n.input) > 2
             else np.zeros(w.shape[0], dtype=np.float64))
        return w, b

    def set_conv(n, w, b):
        x = n.input[0]
        del n.input[:]
        n.input.extend([x, new_const(w), new_const(b)])

    def drop(dead):
        ids = {id(n) for n in dead}
        keep = [n for n in g.node if id(n) not in ids]
        del g.node[:]
        g.node.extend(keep)

    def is_conv(n):
        return n.op_type == "Conv" and len(n.input) >= 2 and n.input[1] in const

    # 0. BatchNormalization right after a convolution.
    cons, dead = consumers(), []
    for n in list(g.node):
        bn = sole(cons, n.output[0], "BatchNormalization") if is_conv(n) else None
        if bn is None or not all(i in const for i in bn.input[1:]):
            continue
        eps = next((a.f for a in bn.attribute if a.name == "epsilon"), 1e-5)
        scale, bias, mean, var = (const[i].astype(np.float64) for i in bn.input[1:5])
        k = scale / np.sqrt(var + eps)
        w, b = conv_params(n)
        set_conv(n, w * k[:, None, None, None], (b - mean) * k + bias)
        n.output[0] = bn.output[0]
        dead.append(bn)
        stats["batchnorm"] += 1
    drop(dead)

    # 1. Conv -> Mul(s) -> Add(t)  ==>  Conv(s W, s B + t)
    cons, dead = consumers(), []
    for n in list(g.node):
        mul = sole(cons, n.output[0], "Mul") if is_conv(n) else None
        add = sole(cons, mul.output[0], "Add") if scalar(mul) else None
        if add is None or scalar(add) is None:
            continue
        s, t = scalar(mul)[1], scalar(add)[1]
        w, b = conv_params(n)
        set_conv(n, w * s, b * s + t)
        n.output[0] = add.output[0]
        dead += [mul, add]
        stats["affine_after_conv"] += 1
    drop(dead)

    # 2. x -> Add(3) -> Clip(0, 6) -> Mul(x, .) -> Div(6)  ==>  HardSwish(x) (opset 14)
    cons, dead = consumers(), []
    for n in list(g.node):
        if n.op_type != "Add" or scalar(n) is None or scalar(n)[1] != 3.0:
            continue
        x = scalar(n)[0]
        clip = sole(cons, n.output[0], "Clip")
        if clip is None or [float(const[i]) for i in clip.input[1:] if i in const] != [0.0, 6.0]:
            continue
        mul = sole(cons, clip.output[0], "Mul")
        if mul is None or set(mul.input) != {x, clip.output[0]}:
            continue
        div = sole(cons, mul.output[0], "Div")
        if div is None or div.input[1] not in const or float(const[div.input[1]].ravel()[0]) != 6.0:
            continue
        n.op_type = "HardSwish"
        del n.input[:]
        n.input.append(x)
        n.output[0] = div.output[0]
        dead += [clip, mul, div]
        stats["hardswish"] += 1
    drop(dead)

    # 3. y -> Mul(s) -> Add(t) -> Conv  ==>  Conv(s W, B + t sum W) when unpadded,
    #    else y -> Add(t / s) -> Conv(s W, B)
    cons, dead = consumers(), []
    for mul in list(g.node):
        if mul.op_type != "Mul" or scalar(mul) is None:
            continue
        y, s = scalar(mul)
        add = sole(cons, mul.output[0], "Add")
        if add is None or scalar(add) is None or s == 0.0:
            continue
        t = scalar(add)[1]
        conv = sole(cons, add.output[0], "Conv")
        if conv is None or not is_conv(conv):
            continue
        pads = next((helper.get_attribute_value(a) for a in conv.attribute if a.name == "pads"), [])
        w, b = conv_params(conv)
        if any(pads):
            set_conv(conv, w * s, b)
            shift = new_const(np.array([t / s]))
            del add.input[:]
            add.input.extend([y, shift])
            dead.append(mul)
            stats["scale_into_padded_conv"] += 1
        else:
            set_conv(conv, w * s, b + t * w.sum(axis=(1, 2, 3)))
            conv.input[0] = y
            dead += [mul, add]
            stats["affine_into_conv"] += 1
    drop(dead)

    # Constant nodes become initializers (the quantiser wants biases there); what no node
    # reads any more goes.
    used = {i for n in g.node for i in n.input}
    inits = [i for i in g.initializer if i.name in used]
    inits += [numpy_helper.from_array(const[n.output[0]], n.output[0]) for n in g.node
              if n.op_type == "Constant" and n.output[0] in used]
    keep = [n for n in g.node if n.op_type != "Constant"]
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(inits)
    return stats


def fused(path: str) -> onnx.ModelProto:
    # HardSwish is an opset 14 operator; the exports are opset 11-12.
    model = version_converter.convert_version(onnx.load(path), 14)
    stats = fuse(model)
    print(f"{os.path.basename(path)}: {dict(stats)}")
    onnx.checker.check_model(model)
    return model


def quantize_rec(model: onnx.ModelProto, table: str, out: str) -> None:
    # Weights in 7 bits (reduce_range): on x86 CPUs without VNNI (AVX2 only) ONNX Runtime
    # multiplies u8 activations by s8 weights with an instruction whose 16-bit pair sums
    # saturate; with full-range weights a rendered text page read with 2% character errors
    # there ("MlDI" for "MIDI", lost spaces), against under 1% on VNNI CPUs.
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "rec-fused.onnx")
        onnx.save(model, src)
        quantize_static(src, out, calibration_data_reader=None, calibration_cache_path=table,
                        quant_format=QuantFormat.QDQ, op_types_to_quantize=["Conv"],
                        per_channel=True, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8, reduce_range=True)
    q = onnx.load(out)
    # The dictionary lives in the metadata; keep it whatever the quantiser does.
    del q.metadata_props[:]
    q.metadata_props.extend(model.metadata_props)
    onnx.save(q, out)


def generate(src_dir: str, exact_dir: str, int8_dir: str) -> None:
    """`exact_dir`: the three models folded (steps 1-3); `int8_dir`: the same detector
    and classifier with the INT8 recogniser (step 4)."""
    tmp_exact, tmp_int8 = exact_dir + ".partial", int8_dir + ".partial"
    for d in (tmp_exact, tmp_int8):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for name in ("det", "cls", "rec"):
        model = fused(os.path.join(src_dir, f"{name}.onnx"))
        onnx.save(model, os.path.join(tmp_exact, f"{name}.onnx"))
        if name == "rec":
            quantize_rec(model, TABLE, os.path.join(tmp_int8, "rec.onnx"))
        else:
            shutil.copyfile(os.path.join(tmp_exact, f"{name}.onnx"), os.path.join(tmp_int8, f"{name}.onnx"))
    for tmp, out in ((tmp_exact, exact_dir), (tmp_int8, int8_dir)):
        shutil.rmtree(out, ignore_errors=True)
        os.replace(tmp, out)


# ------------------------------------------------------------------ calibration (development)

def resize_bilinear(img: np.ndarray, w: int, h: int) -> np.ndarray:
    ys = np.clip((np.arange(h) + 0.5) * img.shape[0] / h - 0.5, 0, img.shape[0] - 1)
    xs = np.clip((np.arange(w) + 0.5) * img.shape[1] / w - 0.5, 0, img.shape[1] - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, img.shape[0] - 1), np.minimum(x0 + 1, img.shape[1] - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


def line_crops(rgb: np.ndarray):
    """Text lines of a page by projection profiles: rows with ink form bands, a band is
    cut where a horizontal gap is wider than three band heights (columns)."""
    ink = rgb.mean(axis=2) < 128
    rows = ink.sum(axis=1) > 2
    y = 0
    while y < len(rows):
        if not rows[y]:
            y += 1
            continue
        y0 = y
        while y < len(rows) and rows[y]:
            y += 1
        h = y - y0
        if not 8 <= h <= 200:
            continue
        cols = np.flatnonzero(ink[y0:y].any(axis=0))
        start = 0
        for k in range(1, len(cols) + 1):
            if k == len(cols) or cols[k] - cols[k - 1] > 3 * h:
                x0, x1 = cols[start], cols[k - 1] + 1
                m = max(2, h // 4)
                yield rgb[max(0, y0 - m):y + m, max(0, x0 - m):x1 + m]
                start = k


def rec_input(crop: np.ndarray) -> np.ndarray:
    w = int(np.clip(np.ceil(crop.shape[1] * REC_HEIGHT / crop.shape[0]), 8, REC_MAX_WIDTH))
    img = resize_bilinear(crop.astype(np.float32), w, REC_HEIGHT)[:, :, ::-1]  # BGR
    return ((img / 255.0 - 0.5) / 0.5).transpose(2, 0, 1)[None].astype(np.float32)


def calibrate(table: str, src_dir: str, pdfs: list) -> None:
    import pypdfium2 as pdfium
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, quantize_static

    crops = []
    for path in pdfs:
        doc = pdfium.PdfDocument(path)
        for page in doc:
            rgb = page.render(scale=300 / 72).to_numpy()[:, :, :3]
            crops += [rec_input(c) for c in line_crops(rgb)]
    rng = np.random.default_rng(20261201)
    picked = [crops[i] for i in sorted(rng.choice(len(crops), min(400, len(crops)), replace=False))]
    print(f"calibrating on {len(picked)} of {len(crops)} line crops from {len(pdfs)} PDFs")

    class Lines(CalibrationDataReader):
        def __init__(self):
            self.it = iter({"x": c} for c in picked)

        def get_next(self):
            return next(self.it, None)

    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "rec-fused.onnx")
        onnx.save(fused(os.path.join(src_dir, "rec.onnx")), src)
        if os.path.exists(table):
            os.remove(table)
        quantize_static(src, os.path.join(tmp, "rec-int8.onnx"), Lines(),
                        calibration_cache_path=table, quant_format=QuantFormat.QDQ,
                        op_types_to_quantize=["Conv"], per_channel=True)
    print(f"wrote {table}")


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "--calibrate":
        calibrate(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4:
        generate(sys.argv[1], sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
