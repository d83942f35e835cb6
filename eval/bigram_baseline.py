"""Character-bigram BM25: the independent baseline the retrieval evaluation reports beside the service.

It shares nothing with the service's tokeniser or index on purpose: NFKC + lower case, whitespace
dropped, overlapping character bigrams, and Lucene BM25 (k1 = 1.2, b = 0.75,
idf = ln(1 + (N − n + 0.5) / (n + 0.5)), term weight idf · tf / (tf + k1 · (1 − b + b · dl / avgdl)),
the same as `bm25s.BM25(method="lucene")`). Weights are precomputed into an inverted index held as
CSR-style numpy arrays (term → postings of doc positions and weights), so a query only adds up the
postings of its distinct bigrams.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def char_bigrams(text: str) -> list[str]:
    """Overlapping character bigrams of the NFKC, lower-cased text with every whitespace character removed.

    A one-character text gives that character; an empty (or all-whitespace) text gives [].
    """
    folded = "".join(ch for ch in unicodedata.normalize("NFKC", text).lower() if not ch.isspace())
    if len(folded) < 2:
        return [folded] if folded else []
    return [folded[i : i + 2] for i in range(len(folded) - 1)]


@dataclass(frozen=True)
class _Postings:
    """Inverted index: the postings of term t are doc_pos[indptr[t]:indptr[t + 1]] with their weights."""

    indptr: IntArray
    doc_pos: IntArray
    weights: FloatArray


def _term_ids(token_lists: Sequence[list[str]]) -> tuple[dict[str, int], IntArray, IntArray]:
    """Vocabulary, and for every token occurrence its term id and the position of its document."""
    vocab: dict[str, int] = {}
    terms = np.fromiter(
        (vocab.setdefault(tok, len(vocab)) for tokens in token_lists for tok in tokens),
        dtype=np.int64,
    )
    lengths = np.fromiter((len(tokens) for tokens in token_lists), dtype=np.int64, count=len(token_lists))
    docs = np.repeat(np.arange(len(token_lists), dtype=np.int64), lengths)
    return vocab, terms, docs


def _build_postings(terms: IntArray, docs: IntArray, doc_len: IntArray, n_terms: int, k1: float, b: float) -> _Postings:
    """Lucene BM25 weight of every (term, doc) pair that occurs, grouped by term, docs ascending."""
    n_docs = doc_len.size
    keys, tf = np.unique(terms * n_docs + docs, return_counts=True)  # sorted by term, then doc
    term_of, doc_pos = np.divmod(keys, n_docs)
    df = np.bincount(term_of, minlength=n_terms)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5))
    avgdl = float(doc_len.mean()) if n_docs and doc_len.sum() else 1.0
    norm = k1 * (1.0 - b + b * doc_len[doc_pos] / avgdl)
    weights = idf[term_of] * tf / (tf + norm)
    indptr = np.concatenate(([0], np.cumsum(df))).astype(np.int64)
    return _Postings(indptr=indptr, doc_pos=doc_pos, weights=weights)


def _top_k(scores: FloatArray, k: int) -> IntArray:
    """Positions of the k highest positive scores, best first, ties by position."""
    matched = np.flatnonzero(scores > 0.0)
    if matched.size > k:
        kth = np.partition(scores[matched], matched.size - k)[matched.size - k]
        matched = matched[scores[matched] >= kth]
    order = np.argsort(-scores[matched], kind="stable")
    return matched[order][:k]


class BigramBM25:
    """Lucene BM25 over character bigrams; `search` returns (doc id, score) pairs, best first."""

    def __init__(self, doc_ids: Sequence[str], texts: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        if len(doc_ids) != len(texts):
            raise ValueError(f"doc_ids and texts must pair up: got {len(doc_ids)} ids and {len(texts)} texts")
        token_lists = [char_bigrams(text) for text in texts]
        vocab, terms, docs = _term_ids(token_lists)
        doc_len = np.fromiter((len(tokens) for tokens in token_lists), dtype=np.int64, count=len(token_lists))
        self._doc_ids = tuple(doc_ids)
        self._vocab = vocab
        self._postings = _build_postings(terms, docs, doc_len, len(vocab), k1, b)

    def scores(self, query: str) -> FloatArray:
        """BM25 score of every document, in doc order; each distinct query bigram counts once."""
        postings = self._postings
        scores = np.zeros(len(self._doc_ids), dtype=np.float64)
        for term in dict.fromkeys(char_bigrams(query)):
            term_id = self._vocab.get(term)
            if term_id is None:
                continue
            start, stop = postings.indptr[term_id], postings.indptr[term_id + 1]
            scores[postings.doc_pos[start:stop]] += postings.weights[start:stop]  # doc positions unique per term
        return scores

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """The k best documents that share a bigram with the query, best first, ties broken by doc order."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        scores = self.scores(query)
        return [(self._doc_ids[pos], float(scores[pos])) for pos in _top_k(scores, k)]
