"""The engine: bytes in, findings out. The gate decides whether a blob can hold a key at all, the
prefilter finds anchors, the detector matches rules around them and pairs IDs with secrets, filters drop
placeholders, decoders open base64, escapes and archives. No files, processes or network of its own:
``runs`` feeds it, ``report`` renders what it finds."""
