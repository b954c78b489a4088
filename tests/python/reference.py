"""Independent numpy references, written from the header's contract and from
timm's published algorithm (not imported): the oracles of the Python tests."""

import numpy as np

NONE, MIXUP, CUTMIX = 0, 1, 2
LAM_ONE = 1 << 14


def _box(x_sample, layout, y0, y1, x0, x1):
    """Index of a box inside one sample (C,H,W) or (H,W,C)."""
    if layout == "NCHW":
        return (slice(None), slice(y0, y1), slice(x0, x1))
    return (slice(y0, y1), slice(x0, x1), slice(None))


def ref_mix(plan, x, layout="NCHW"):
    """What mixcut_mix_apply must produce, per the header.

    uint8: exact integer blend with q = round(lam * 2^14); float32: returns
    (float64 result, float32 result with two roundings and no FMA)."""
    out64 = x.astype(np.float64).copy()
    is_u8 = x.dtype == np.uint8
    out_u8 = x.copy() if is_u8 else None
    out_f32 = x.copy() if not is_u8 else None
    for i, rec in enumerate(plan):
        j, lam, kind = int(rec["partner"]), rec["lam"], int(rec["kind"])
        if kind == NONE or j == i:  # DESIGN: a sample paired with itself is unchanged
            continue
        if kind == MIXUP:
            out64[i] = float(lam) * x[i].astype(np.float64) + (1.0 - float(lam)) * x[j]
            if is_u8:
                q = int(round(float(lam) * LAM_ONE))
                a = x[i].astype(np.int64)
                b = x[j].astype(np.int64)
                out_u8[i] = ((q * a + (LAM_ONE - q) * b + LAM_ONE // 2) >> 14).astype(np.uint8)
            else:
                lam32 = np.float32(lam)
                out_f32[i] = x[i] * lam32 + x[j] * (np.float32(1) - lam32)
        else:
            box = _box(x[i], layout, rec["y0"], rec["y1"], rec["x0"], rec["x1"])
            out64[i][box] = x[j][box]
            (out_u8 if is_u8 else out_f32)[i][box] = x[j][box]
    return out64, (out_u8 if is_u8 else out_f32)


def smooth(labels, k, eps):
    off = eps / k
    on = 1.0 - eps + off
    y = np.full((len(labels), k), off, dtype=np.float64)
    y[np.arange(len(labels)), labels] = on
    return y


def ref_labels(plan, labels, k, eps):
    y = smooth(np.asarray(labels), k, eps)
    lam = plan["lam"].astype(np.float64)[:, None]
    return lam * y + (1 - lam) * y[plan["partner"]]


def ref_soft_labels(plan, soft, eps):
    k = soft.shape[1]
    p = soft.astype(np.float64) * (1 - eps) + eps / k
    lam = plan["lam"].astype(np.float64)[:, None]
    return lam * p + (1 - lam) * p[plan["partner"]]


# --- timm (timm/data/mixup.py) written out in numpy, float64 ------------------

def timm_mixup_target(target, num_classes, lam, smoothing):
    """timm.data.mixup.mixup_target: lam is a scalar or a per-sample column."""
    off = smoothing / num_classes
    on = 1.0 - smoothing + off
    y1 = np.full((len(target), num_classes), off)
    y1[np.arange(len(target)), target] = on
    y2 = y1[::-1]
    lam = np.asarray(lam, dtype=np.float64)
    if lam.ndim == 1:
        lam = lam[:, None]
    return y1 * lam + y2 * (1.0 - lam)


def timm_mix_batch(x, lam, use_cutmix, box):
    """Mixup._mix_batch on a float64 NCHW batch (in place); returns lam."""
    if lam == 1.0:
        return 1.0
    if use_cutmix:
        yl, yh, xl, xh = box
        x[:, :, yl:yh, xl:xh] = x[::-1][:, :, yl:yh, xl:xh].copy()
    else:
        x_flipped = x[::-1].copy() * (1.0 - lam)
        x *= lam
        x += x_flipped
    return lam


def timm_mix_elem(x, lam_batch, use_cutmix, boxes):
    """Mixup._mix_elem: per sample i with j = B-1-i, mixing from the original."""
    batch_size = len(x)
    x_orig = x.copy()
    for i in range(batch_size):
        j = batch_size - i - 1
        lam = lam_batch[i]
        if lam != 1.0:
            if use_cutmix[i]:
                yl, yh, xl, xh = boxes[i]
                x[i][:, yl:yh, xl:xh] = x_orig[j][:, yl:yh, xl:xh]
            else:
                x[i] = x[i] * lam + x_orig[j] * (1 - lam)
    return np.asarray(lam_batch, dtype=np.float64)


def timm_mix_pair(x, lam_half, use_cutmix, boxes):
    """Mixup._mix_pair: pair (i, B-1-i) shares lam and box; lam mirrored."""
    batch_size = len(x)
    x_orig = x.copy()
    for i in range(batch_size // 2):
        j = batch_size - i - 1
        lam = lam_half[i]
        if lam != 1.0:
            if use_cutmix[i]:
                yl, yh, xl, xh = boxes[i]
                x[i][:, yl:yh, xl:xh] = x_orig[j][:, yl:yh, xl:xh]
                x[j][:, yl:yh, xl:xh] = x_orig[i][:, yl:yh, xl:xh]
            else:
                x[i] = x[i] * lam + x_orig[j] * (1 - lam)
                x[j] = x[j] * lam + x_orig[i] * (1 - lam)
    lam_half = np.asarray(lam_half, dtype=np.float64)
    return np.concatenate([lam_half, lam_half[::-1]])


def timm_collate_blend(a, b, lam):
    """FastCollateMixup's uint8 Mixup: float32 blend, np.rint, cast."""
    mixed = a.astype(np.float32) * lam + b.astype(np.float32) * (1 - lam)
    np.rint(mixed, out=mixed)
    return mixed.astype(np.uint8)
