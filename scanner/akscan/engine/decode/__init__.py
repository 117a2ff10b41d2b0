"""The decode stage: every layer a credential can hide under, one module each, each bounded, each
applied to every source alike by ``akscan.engine.pipeline.scan_content``.

- UTF-16 (LE or BE, BOM or not): ``text.Utf16Reader``, on a stream whose head sniffs as UTF-16; streamed
  in 8 MiB chunks; recorded as ``encoding: "utf-16"``.
- CR-only line ends: where chunks are cut (``akscan.sources.files``); one byte for one, offsets unchanged.
- Archives and compressed members: ``archives.expand`` (zip/jar/whl, tar.gz/.bz2/.xz, single gz/bz2/xz),
  bounded by member, archive, ratio, member-count and per-scan budgets and a depth of 3; recorded in the
  member path, ``outer.zip!inner/file``.
- Base64 (Kubernetes Secrets, AMQP usernames, CI variables): ``base64_layer.rewrite`` around the base64
  forms of key-ID anchors; one decoding depth, a window of lines; recorded as ``encoding: "base64"``.
- Text escapes (percent, JSON/JS, HTML, quoted-printable) and literals split by concatenation
  (``"…" +`` lines): ``escapes.unescape`` and ``concat.join``, around key-ID anchors, line for line;
  recorded as ``encoding: "concat>escape"`` and the like.
"""

# Decoder name -> module: the registry, read by the documentation and the history cache's engine key.
DECODERS = {
    "utf-16": "akscan.engine.decode.text",
    "archive": "akscan.engine.decode.archives",
    "base64": "akscan.engine.decode.base64_layer",
    "escapes": "akscan.engine.decode.escapes",
    "concat": "akscan.engine.decode.concat",
}
