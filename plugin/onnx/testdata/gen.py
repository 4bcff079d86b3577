#!/usr/bin/python3
"""Writes the test models of plugin/onnx and their reference outputs.

Run it with Debian's Python (python3-onnx 1.12, numpy), from any directory:

    /usr/bin/python3 plugin/onnx/testdata/gen.py

It writes, next to itself:

  models/*.onnx       small models built with onnx.helper (weights from a seeded
                      numpy RandomState, so the files are reproducible)
  models/*.json       their sidecars
  bad/*.onnx          models the plugin must refuse at load, one problem each
                      (plus one with several)
  ref/*.f32           reference outputs, little-endian float32, row-major
  ref/*.u8            reference label masks, one byte per pixel
  cases.json          what each reference is: model, input, shapes, files

Every reference is computed here with numpy in float64 (convolution, pooling,
batch normalisation, pixel shuffle, soft-max, sigmoid, window / min-max /
mean-std scaling, bilinear resampling, pad/crop), independently of onnx-go and
of the plugin's Go code. Inputs are not stored: they come from the formulas in
model_input() and slice_pixels(), which plugin/onnx's tests compute the same
way in Go.
"""

import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 11


# ---------------------------------------------------------------- inputs

def model_input(shape):
    """The model-space test input: x[n,c,i,j] for an NCHW shape."""
    n, c, h, w = shape
    ci = np.arange(c).reshape(c, 1, 1)
    ii = np.arange(h).reshape(1, h, 1)
    jj = np.arange(w).reshape(1, 1, w)
    x = (np.sin(0.3 * ii + 0.7 * ci) * np.cos(0.2 * jj - 0.5 * ci)
         + ((ii * 7 + jj * 13 + ci * 5) % 17) / 17.0 - 0.5)
    x = np.broadcast_to(x, (c, h, w)).astype(np.float32)
    return np.broadcast_to(x, (n, c, h, w)).copy()


def slice_pixels(fmt, rows, cols):
    """A synthetic slice as the host would send it: channel planes, float64.

    FLOAT32 is CT-like (Hounsfield units), UINT8 grey, RGB8 three planes."""
    i = np.arange(rows).reshape(rows, 1)
    j = np.arange(cols).reshape(1, cols)
    if fmt == "FLOAT32":
        v = (-1000.0 + 1400.0 * (0.5 + 0.5 * np.sin(0.11 * i) * np.cos(0.07 * j))
             + 40.0 * ((i * 3 + j * 5) % 7))
        return [v.astype(np.float32).astype(np.float64)]
    if fmt == "UINT8":
        return [((i * 11 + j * 7 + (i * j) % 23) % 256).astype(np.float64)]
    if fmt == "RGB8":
        return [((i * 11 + j * 7 + c * 50 + (i * j) % 23) % 256).astype(np.float64)
                for c in range(3)]
    raise ValueError(fmt)


# ---------------------------------------------------------------- numpy ops

def conv2d(x, w, b, pad):
    """x [C,H,W], w [O,C,kh,kw], symmetric zero padding, stride 1."""
    c, h, wd = x.shape
    o, c2, kh, kw = w.shape
    assert c == c2
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    out = np.zeros((o, oh, ow))
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky:ky + oh, kx:kx + ow]  # [C,oh,ow]
            out += np.tensordot(w[:, :, ky, kx], patch, axes=([1], [0]))
    return out + b.reshape(o, 1, 1)


def relu(x):
    return np.maximum(x, 0.0)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax_channels(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def maxpool2(x):
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def batchnorm(x, scale, bias, mean, var, eps):
    s = (scale / np.sqrt(var + eps)).reshape(-1, 1, 1)
    return (x - mean.reshape(-1, 1, 1)) * s + bias.reshape(-1, 1, 1)


def pixel_shuffle(x, r):
    """[C*r*r, H, W] -> [C, H*r, W*r], PyTorch's channel order."""
    crr, h, w = x.shape
    c = crr // (r * r)
    y = np.zeros((c, h * r, w * r))
    for ch in range(c):
        for dy in range(r):
            for dx in range(r):
                y[ch, dy::r, dx::r] = x[ch * r * r + dy * r + dx]
    return y


# ---------------------------------------------------------------- helpers

def f32(a):
    return np.asarray(a, dtype=np.float32)


def init(name, a):
    return numpy_helper.from_array(np.asarray(a), name)


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def save(path, graph, opset=OPSET, ir=6):
    m = helper.make_model(graph, producer_name="mmcseg-testdata",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = ir
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return os.path.basename(path)


def write_f32(path, a):
    np.asarray(a, dtype="<f4").tofile(path)


# ---------------------------------------------------------------- models

rng = np.random.RandomState(20261128)
W1 = f32(rng.normal(0, 0.5, (8, 1, 3, 3)))
B1 = f32(rng.normal(0, 0.1, 8))
W2 = f32(rng.normal(0, 0.3, (1, 8, 3, 3)))
B2 = f32([-3.8])  # centres the CT pipeline case near the threshold
S1 = f32(rng.normal(0, 0.5, (8, 1, 3, 3)))
SB1 = f32(rng.normal(0, 0.1, 8))
S2 = f32(rng.normal(0, 0.4, (3, 8, 3, 3)))
SB2 = f32([0.2, -0.1, 1.2])
R1 = f32(rng.normal(0, 0.3, (4, 3, 3, 3)))
RB1 = f32(rng.normal(0, 0.1, 4))
R2 = f32(rng.normal(0, 0.5, (1, 4, 1, 1)))
RB2 = f32([-0.2])
U1 = f32(rng.normal(0, 0.5, (4, 1, 3, 3)))
UB1 = f32(rng.normal(0, 0.1, 4))
BN_SCALE = f32(rng.uniform(0.5, 1.5, 4))
BN_BIAS = f32(rng.normal(0, 0.1, 4))
BN_MEAN = f32(rng.normal(0, 0.2, 4))
BN_VAR = f32(rng.uniform(0.5, 2.0, 4))
BN_EPS = 1e-5
U2 = f32(rng.normal(0, 0.3, (8, 4, 3, 3)))
UB2 = f32(rng.normal(0, 0.1, 8))
U3 = f32(rng.normal(0, 0.3, (4, 8, 1, 1)))
UB3 = f32(rng.normal(0, 0.1, 4))
U4 = f32(rng.normal(0, 0.5, (1, 4, 1, 1)))
UB4 = f32([-0.75])
U5 = f32(rng.normal(0, 0.4, (1, 5, 1, 1)))
UB5 = f32([0.0])


def conv_node(x, w, b, y, k, pad, name):
    return helper.make_node("Conv", [x, w, b], [y], name=name, kernel_shape=[k, k],
                            pads=[pad] * 4, strides=[1, 1], dilations=[1, 1])


def binary_model(size):
    nodes = [
        conv_node("image", "w1", "b1", "c1", 3, 1, "conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        conv_node("r1", "w2", "b2", "c2", 3, 1, "conv2"),
        helper.make_node("Sigmoid", ["c2"], ["prob"], name="sigmoid"),
    ]
    g = helper.make_graph(nodes, "binary", [value("image", [1, 1, size, size])],
                          [value("prob", [1, 1, size, size])],
                          [init("w1", W1), init("b1", B1), init("w2", W2), init("b2", B2)])
    return g


def binary_ref(x):
    return sigmoid(conv2d(relu(conv2d(x, W1, B1, 1)), W2, B2, 1))


def softmax_model(size):
    nodes = [
        conv_node("image", "w1", "b1", "c1", 3, 1, "conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        conv_node("r1", "w2", "b2", "logits", 3, 1, "conv2"),
        # Soft-max over the class axis the way exporters write it before
        # opset 13: move classes last, Softmax on the last axis, move back.
        helper.make_node("Transpose", ["logits"], ["nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Softmax", ["nhwc"], ["p_nhwc"], name="softmax", axis=3),
        helper.make_node("Transpose", ["p_nhwc"], ["prob"], name="to_nchw", perm=[0, 3, 1, 2]),
    ]
    return helper.make_graph(nodes, "softmax3", [value("image", [1, 1, size, size])],
                             [value("prob", [1, 3, size, size])],
                             [init("w1", S1), init("b1", SB1), init("w2", S2), init("b2", SB2)])


def softmax_ref(x):
    return softmax_channels(conv2d(relu(conv2d(x, S1, SB1, 1)), S2, SB2, 1))


def rgb_model(size):
    nodes = [
        conv_node("image", "w1", "b1", "c1", 3, 1, "conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        conv_node("r1", "w2", "b2", "c2", 1, 0, "conv2"),
        helper.make_node("Sigmoid", ["c2"], ["prob"], name="sigmoid"),
    ]
    return helper.make_graph(nodes, "rgb", [value("image", [1, 3, size, size])],
                             [value("prob", [1, 1, size, size])],
                             [init("w1", R1), init("b1", RB1), init("w2", R2), init("b2", RB2)])


def rgb_ref(x):
    return sigmoid(conv2d(relu(conv2d(x, R1, RB1, 1)), R2, RB2, 0))


N1 = f32(rng.normal(0, 0.3, (8, 3, 3, 3)))
NB1 = f32(rng.normal(0, 0.1, 8))
N2 = f32(rng.normal(0, 0.4, (3, 8, 3, 3)))
NB2 = f32([0.3, 1.3, -0.2])


def nhwc_model(size):
    """RGB in, three classes out, both channels-last (as TensorFlow exports)."""
    nodes = [
        helper.make_node("Transpose", ["image"], ["nchw"], name="to_nchw", perm=[0, 3, 1, 2]),
        conv_node("nchw", "w1", "b1", "c1", 3, 1, "conv1"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        conv_node("r1", "w2", "b2", "logits", 3, 1, "conv2"),
        helper.make_node("Transpose", ["logits"], ["nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]),
        helper.make_node("Softmax", ["nhwc"], ["prob"], name="softmax", axis=3),
    ]
    return helper.make_graph(nodes, "nhwc", [value("image", [1, size, size, 3])],
                             [value("prob", [1, size, size, 3])],
                             [init("w1", N1), init("b1", NB1), init("w2", N2), init("b2", NB2)])


def nhwc_ref(x):
    """x and the result are channels-first here; the layouts are gen's business."""
    return softmax_channels(conv2d(relu(conv2d(x, N1, NB1, 1)), N2, NB2, 1))


def updown_model(size):
    """Down by MaxPool, up by a pixel shuffle written as Reshape/Transpose/
    Reshape, with skip connections by Add and Concat: the U-Net pattern
    without Resize or ConvTranspose."""
    h = size // 2
    nodes = [
        conv_node("image", "u1", "ub1", "c1", 3, 1, "conv1"),
        helper.make_node("BatchNormalization", ["c1", "bn_s", "bn_b", "bn_m", "bn_v"], ["n1"],
                         name="bn1", epsilon=BN_EPS),
        helper.make_node("Relu", ["n1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2],
                         strides=[2, 2], pads=[0, 0, 0, 0]),
        conv_node("p1", "u2", "ub2", "c2", 3, 1, "conv2"),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        conv_node("r2", "u3", "ub3", "c3", 1, 0, "conv3"),
        helper.make_node("Reshape", ["c3", "shape6"], ["s6"], name="shuffle_reshape1"),
        helper.make_node("Transpose", ["s6"], ["t6"], name="shuffle_transpose",
                         perm=[0, 1, 4, 2, 5, 3]),
        helper.make_node("Reshape", ["t6", "shape4"], ["up"], name="shuffle_reshape2"),
        conv_node("r1", "u4", "ub4", "skip", 1, 0, "skip"),
        helper.make_node("Add", ["up", "skip"], ["sum"], name="add"),
        helper.make_node("Concat", ["sum", "r1"], ["cat"], name="concat", axis=1),
        conv_node("cat", "u5", "ub5", "mix", 1, 0, "mix"),
        helper.make_node("Sigmoid", ["mix"], ["prob"], name="sigmoid"),
    ]
    inits = [init("u1", U1), init("ub1", UB1), init("bn_s", BN_SCALE), init("bn_b", BN_BIAS),
             init("bn_m", BN_MEAN), init("bn_v", BN_VAR), init("u2", U2), init("ub2", UB2),
             init("u3", U3), init("ub3", UB3), init("u4", U4), init("ub4", UB4),
             init("u5", U5), init("ub5", UB5),
             init("shape6", np.array([1, 1, 2, 2, h, h], dtype=np.int64)),
             init("shape4", np.array([1, 1, size, size], dtype=np.int64))]
    return helper.make_graph(nodes, "updown", [value("image", [1, 1, size, size])],
                             [value("prob", [1, 1, size, size])], inits)


def updown_ref(x):
    r1 = relu(batchnorm(conv2d(x, U1, UB1, 1), BN_SCALE, BN_BIAS, BN_MEAN, BN_VAR, BN_EPS))
    r2 = relu(conv2d(maxpool2(r1), U2, UB2, 1))
    up = pixel_shuffle(conv2d(r2, U3, UB3, 0), 2)
    cat = np.concatenate([up + conv2d(r1, U4, UB4, 0), r1], axis=0)
    return sigmoid(conv2d(cat, U5, UB5, 0))


# ---------------------------------------------------------------- refused models

def bad_models(d):
    """One problem per model, and one with several. They are valid ONNX (the
    checker passes) but outside what onnx-go v0.5.0 runs."""
    out = {}
    w = init("w", W1)
    b = init("b", B1)
    w8 = init("w8", W2)
    b8 = init("b8", B2)

    def base(extra_nodes, extra_inits, inp=None, outp=None, name="bad"):
        inp = inp or value("image", [1, 1, 32, 32])
        outp = outp or value("prob", [1, 1, 64, 64])
        return helper.make_graph(extra_nodes, name, [inp], [outp], extra_inits)

    # nn.Upsample(scale_factor=2) as exported at opset 11.
    g = base([
        conv_node("image", "w", "b", "c1", 3, 1, "conv1"),
        helper.make_node("Resize", ["c1", "roi", "scales"], ["up"], name="upsample1",
                         mode="linear", coordinate_transformation_mode="half_pixel"),
        conv_node("up", "w8", "b8", "c2", 3, 1, "conv2"),
        helper.make_node("Sigmoid", ["c2"], ["prob"], name="sigmoid"),
    ], [w, b, w8, b8, init("roi", np.zeros(0, np.float32)),
        init("scales", f32([1, 1, 2, 2]))])
    out["resize"] = save(os.path.join(d, "resize.onnx"), g)

    # nn.ConvTranspose2d(8, 1, 2, stride=2).
    g = base([
        conv_node("image", "w", "b", "c1", 3, 1, "conv1"),
        helper.make_node("ConvTranspose", ["c1", "wt", "b8"], ["c2"], name="deconv1",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Sigmoid", ["c2"], ["prob"], name="sigmoid"),
    ], [w, b, b8, init("wt", f32(np.ones((8, 1, 2, 2)) * 0.1))])
    out["convtranspose"] = save(os.path.join(d, "convtranspose.onnx"), g)

    # A depth-wise (grouped) convolution.
    g = base([
        conv_node("image", "w", "b", "c1", 3, 1, "conv1"),
        helper.make_node("Conv", ["c1", "wg", "bg"], ["c2"], name="depthwise", group=8,
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        conv_node("c2", "w8", "b8", "c3", 3, 1, "conv3"),
        helper.make_node("Sigmoid", ["c3"], ["prob"], name="sigmoid"),
    ], [w, b, w8, b8, init("wg", f32(np.ones((8, 1, 3, 3)) * 0.1)), init("bg", f32(np.zeros(8)))],
        outp=value("prob", [1, 1, 32, 32]))
    out["grouped"] = save(os.path.join(d, "grouped.onnx"), g)

    # Dynamic batch and spatial axes (torch.onnx.export with dynamic_axes).
    g = base([
        conv_node("image", "w", "b", "c1", 3, 1, "conv1"),
        conv_node("c1", "w8", "b8", "c2", 3, 1, "conv2"),
        helper.make_node("Sigmoid", ["c2"], ["prob"], name="sigmoid"),
    ], [w, b, w8, b8], inp=value("image", ["batch", 1, "height", "width"]),
        outp=value("prob", ["batch", 1, "height", "width"]))
    out["dynamic"] = save(os.path.join(d, "dynamic.onnx"), g)

    # Padding that differs between the start and the end of an axis, which
    # onnx-go would silently compute wrong (it reads pads as (h, w) pairs).
    g = base([
        helper.make_node("Conv", ["image", "w", "b"], ["c1"], name="conv_asym",
                         kernel_shape=[3, 3], pads=[1, 1, 2, 2]),
        conv_node("c1", "w8", "b8", "c2", 3, 1, "conv2"),
        helper.make_node("Sigmoid", ["c2"], ["prob"], name="sigmoid"),
    ], [w, b, w8, b8], outp=value("prob", [1, 1, 33, 33]))
    out["asympads"] = save(os.path.join(d, "asympads.onnx"), g)

    # Opset 13 Unsqueeze, whose axes are an input, not an attribute.
    g = helper.make_graph([
        conv_node("image", "w", "b", "c1", 3, 1, "conv1"),
        conv_node("c1", "w8", "b8", "c2", 3, 1, "conv2"),
        helper.make_node("Squeeze", ["c2", "axes"], ["sq"], name="squeeze"),
        helper.make_node("Unsqueeze", ["sq", "axes"], ["us"], name="unsqueeze"),
        helper.make_node("Sigmoid", ["us"], ["prob"], name="sigmoid"),
    ], "bad", [value("image", [1, 1, 32, 32])], [value("prob", [1, 1, 32, 32])],
        [w, b, w8, b8, init("axes", np.array([1], np.int64))])
    out["opset13"] = save(os.path.join(d, "opset13.onnx"), g, opset=13, ir=7)

    # Several problems at once: dynamic shape, a grouped Conv, Pad, Resize.
    g = base([
        helper.make_node("Pad", ["image", "pads"], ["padded"], name="pad1", mode="constant"),
        conv_node("padded", "w", "b", "c1", 3, 0, "conv1"),
        helper.make_node("Conv", ["c1", "wg", "bg"], ["c2"], name="depthwise", group=8,
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Resize", ["c2", "roi", "scales"], ["up"], name="upsample1",
                         mode="nearest"),
        conv_node("up", "w8", "b8", "c3", 3, 1, "conv3"),
        helper.make_node("Sigmoid", ["c3"], ["prob"], name="sigmoid"),
    ], [w, b, w8, b8, init("wg", f32(np.ones((8, 1, 3, 3)) * 0.1)), init("bg", f32(np.zeros(8))),
        init("pads", np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)),
        init("roi", np.zeros(0, np.float32)), init("scales", f32([1, 1, 2, 2]))],
        inp=value("image", [1, 1, "height", "width"]))
    out["several"] = save(os.path.join(d, "several.onnx"), g)
    return out


# ---------------------------------------------------------------- pipeline

def resample_axis(a, n_out, axis):
    """Bilinear resampling along one axis with half-pixel centres (PyTorch
    interpolate, align_corners=False, no antialias)."""
    n_in = a.shape[axis]
    o = np.arange(n_out, dtype=np.float64)
    src = (o + 0.5) * (n_in / n_out) - 0.5
    src = np.clip(src, 0.0, n_in - 1)
    i0 = np.floor(src).astype(int)
    i1 = np.minimum(i0 + 1, n_in - 1)
    t = src - i0
    a0 = np.take(a, i0, axis=axis)
    a1 = np.take(a, i1, axis=axis)
    shape = [1] * a.ndim
    shape[axis] = n_out
    t = t.reshape(shape)
    return a0 * (1 - t) + a1 * t


def resize(planes, h, w):
    return resample_axis(resample_axis(planes, h, 1), w, 2)


def preprocess(planes, spec):
    p = spec["preprocess"]
    out = []
    for c, v in enumerate(planes):
        if p["kind"] == "window":
            lo = p["level"] - p["width"] / 2.0
            out.append(np.clip((v - lo) / p["width"], 0.0, 1.0))
        elif p["kind"] == "minmax":
            lo, hi = v.min(), v.max()
            out.append((v - lo) / (hi - lo) if hi > lo else np.zeros_like(v))
        elif p["kind"] == "meanstd":
            out.append((v * p.get("scale", 1.0) - p["mean"][c]) / p["std"][c])
        else:
            raise ValueError(p["kind"])
    return np.stack(out)


def fit_offsets(n, m):
    """Pad/crop along one axis: (slice start, model start, length)."""
    if n <= m:
        return 0, (m - n) // 2, n
    return (n - m) // 2, 0, m


def pipeline(spec, model_ref, fmt, rows, cols):
    return pipeline_planes(spec, model_ref, slice_pixels(fmt, rows, cols))


def pipeline_planes(spec, model_ref, planes):
    """The plugin's per-slice work on channel planes: scores mapped back to
    the slice (one plane per class) and the labels."""
    h, w = spec["input"]["height"], spec["input"]["width"]
    rows, cols = planes[0].shape
    x = preprocess(planes, spec)  # [C,rows,cols]
    if spec["fit"] == "resize":
        xin = resize(x, h, w)
    else:
        sy, my, ly = fit_offsets(rows, h)
        sx, mx, lx = fit_offsets(cols, w)
        xin = np.empty((x.shape[0], h, w))
        for c in range(x.shape[0]):
            xin[c] = x[c].min()
        xin[:, my:my + ly, mx:mx + lx] = x[:, sy:sy + ly, sx:sx + lx]
    xin = xin.astype(np.float32).astype(np.float64)  # the model gets float32
    scores = model_ref(xin)  # [K,h,w]
    if spec["fit"] == "resize":
        back = resize(scores, rows, cols)
        covered = np.ones((rows, cols), bool)
    else:
        back = np.zeros((scores.shape[0], rows, cols))
        covered = np.zeros((rows, cols), bool)
        back[:, sy:sy + ly, sx:sx + lx] = scores[:, my:my + ly, mx:mx + lx]
        covered[sy:sy + ly, sx:sx + lx] = True
    out = spec["output"]
    if out["kind"] == "sigmoid":
        labels = (back[0] >= out["threshold"]).astype(np.uint8)
    else:
        labels = np.argmax(back, axis=0).astype(np.uint8)
    labels[~covered] = 0
    return back, labels


def segment(number, label, color, type_value, type_meaning):
    return {"number": number, "label": label, "color": color,
            "category": {"scheme": "SCT", "value": "123037004",
                         "meaning": "Anatomical Structure"},
            "type": {"scheme": "SCT", "value": type_value, "meaning": type_meaning}}


def sidecar(model, size, channels, preprocess_, fit, output, segments):
    return {"name": model, "version": "1",
            "input": {"layout": "NCHW", "height": size, "width": size, "channels": channels},
            "preprocess": preprocess_, "fit": fit, "output": output, "segments": segments}


def main():
    mdir = os.path.join(HERE, "models")
    bdir = os.path.join(HERE, "bad")
    rdir = os.path.join(HERE, "ref")
    for d in (mdir, bdir, rdir):
        os.makedirs(d, exist_ok=True)

    lung = [segment(1, "Lung", [128, 174, 128], "39607008", "Lung")]
    ct = {"kind": "window", "level": -600, "width": 1500}
    models = {
        "binary-64": (binary_model(64), binary_ref, 1,
                      sidecar("binary-64", 64, 1, ct, "resize",
                              {"kind": "sigmoid", "threshold": 0.5}, lung)),
        "binary-256": (binary_model(256), binary_ref, 1,
                       sidecar("binary-256", 256, 1, ct, "resize",
                               {"kind": "sigmoid", "threshold": 0.5}, lung)),
        "binary-512": (binary_model(512), binary_ref, 1,
                       sidecar("binary-512", 512, 1, ct, "resize",
                               {"kind": "sigmoid", "threshold": 0.5}, lung)),
        "softmax3-64": (softmax_model(64), softmax_ref, 1,
                        sidecar("softmax3-64", 64, 1,
                                {"kind": "meanstd", "mean": [-500.0], "std": [400.0]}, "pad",
                                {"kind": "softmax"},
                                [segment(1, "Lung", [128, 174, 128], "39607008", "Lung"),
                                 segment(2, "Heart", [206, 110, 84], "80891009", "Heart")])),
        "rgb-64": (rgb_model(64), rgb_ref, 3,
                   sidecar("rgb-64", 64, 3,
                           {"kind": "meanstd", "scale": 1 / 255.0,
                            "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225]},
                           "resize", {"kind": "sigmoid", "threshold": 0.4},
                           [{"number": 1, "label": "Lesion", "color": [255, 0, 0],
                             "category": {"scheme": "SCT", "value": "49755003",
                                          "meaning": "Morphologically Altered Structure"},
                             "type": {"scheme": "SCT", "value": "52988006",
                                      "meaning": "Lesion"}}])),
        "nhwc-64": (nhwc_model(64), nhwc_ref, 3,
                    dict(sidecar("nhwc-64", 64, 3, {"kind": "minmax"}, "pad", {"kind": "softmax"},
                                 [segment(1, "Lesion", [255, 0, 0], "52988006", "Lesion"),
                                  segment(2, "Skin", [240, 200, 160], "39937001", "Skin")]),
                         input={"layout": "NHWC", "height": 64, "width": 64, "channels": 3})),
        "updown-64": (updown_model(64), updown_ref, 1,
                      sidecar("updown-64", 64, 1, {"kind": "minmax"}, "resize",
                              {"kind": "sigmoid", "threshold": 0.5}, lung)),
    }
    cases = {"models": [], "pipelines": [], "refused": []}
    for name, (graph, ref, channels, side) in models.items():
        size = side["input"]["height"]
        save(os.path.join(mdir, name + ".onnx"), graph)
        with open(os.path.join(mdir, name + ".json"), "w") as f:
            json.dump(side, f, indent=2)
            f.write("\n")
        if size > 64:
            continue  # benchmark models: same weights as binary-64
        x = model_input((1, channels, size, size)).astype(np.float64)
        y = ref(x[0])
        shape_in, shape_out = [1, channels, size, size], [1] + list(y.shape)
        if side["input"]["layout"] == "NHWC":
            # The Go test feeds model_input's values in NHWC order: the
            # same image, channels last; the output is channels last too.
            y = y.transpose(1, 2, 0)
            shape_in, shape_out = [1, size, size, channels], [1] + list(y.shape)
        write_f32(os.path.join(rdir, name + ".out.f32"), y)
        cases["models"].append({"model": "models/" + name + ".onnx",
                                "input": shape_in, "output": shape_out,
                                "layout": side["input"]["layout"],
                                "reference": "ref/" + name + ".out.f32"})

    pipes = [
        ("binary-64", binary_ref, "FLOAT32", 80, 72),  # resize down
        ("binary-64", binary_ref, "FLOAT32", 40, 50),  # resize up
        ("softmax3-64", softmax_ref, "FLOAT32", 50, 70),  # pad rows, crop columns
        ("softmax3-64", softmax_ref, "FLOAT32", 64, 64),  # exact fit
        ("rgb-64", rgb_ref, "RGB8", 70, 45),
        ("nhwc-64", nhwc_ref, "RGB8", 70, 45),  # crop rows, pad columns
        ("updown-64", updown_ref, "UINT8", 33, 90),
    ]
    for model, ref, fmt, rows, cols in pipes:
        with open(os.path.join(mdir, model + ".json")) as f:
            spec = json.load(f)
        scores, labels = pipeline(spec, ref, fmt, rows, cols)
        base = "%s-%s-%dx%d" % (model, fmt.lower(), rows, cols)
        write_f32(os.path.join(rdir, base + ".scores.f32"), scores)
        labels.tofile(os.path.join(rdir, base + ".labels.u8"))
        cases["pipelines"].append({"model": "models/" + model + ".onnx",
                                   "format": fmt, "rows": rows, "columns": cols,
                                   "classes": int(scores.shape[0]),
                                   "scores": "ref/" + base + ".scores.f32",
                                   "labels": "ref/" + base + ".labels.u8"})

    for name, file in sorted(bad_models(bdir).items()):
        cases["refused"].append("bad/" + file)
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(cases, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
