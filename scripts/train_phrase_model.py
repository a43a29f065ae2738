"""Train the small phrase Whisper model shipped in models/phrase-whisper/ (and its bilingual variant).

It learns to transcribe the six phrases of `translator.models.demo.phrases.PHRASES` from espeak-ng speech, in
Whisper's own formats (timestamped and `<|notimestamps|>`, with and without a `<|startofprev|>`
prompt), says nothing for silence, and also transcribes windows that hold two to four phrases. The result is
converted to CTranslate2 int8 and checked through faster-whisper's real `WhisperModel`, on fresh
augmentations of the training voices and on voices and speeds it never heard.

With `--bilingual` it fine-tunes the shipped English model (`--init scratch` starts afresh instead) on those phrases
and the four `GERMAN_PHRASES` spoken by espeak-ng's German voices into models/phrase-whisper-bilingual/: Whisper's
language token (what faster-whisper's `detect_language` reads) says en for the English phrases and de for the
German ones, and a window holding both languages is guessed with each language's share of its speech, so
`SpeechRecognizer.language_parts` detects such a window stretch by stretch.

Needs torch and transformers at training time only:

    /work/venv/bin/pip install torch==2.13.0 "transformers>=4.40"
    python scripts/train_phrase_model.py              # about 15 minutes on 2 CPU cores
    python scripts/train_phrase_model.py --bilingual  # 8 minutes on 2 idle CPU cores, 15 on busy ones

Everything is seeded, so a rerun on the same machine and library versions gives the same model.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from translator.audio.files import SAMPLE_RATE, read_audio  # noqa: E402
from translator.models.demo.phrases import (  # noqa: E402
    BILINGUAL_MODEL,
    GERMAN_PHRASES,
    GERMAN_VOICE,
    PHRASES,
    SHIPPED_FILES,
    SHIPPED_MODEL,
    speak_phrase,
)
from translator.models.demo.whisper import WHISPER_TOKEN_LANGUAGES, whisper_tokenizer  # noqa: E402
from translator.stages.recognition import CONFIDENT_LANGUAGE  # noqa: E402

SEED = 1234

# (voice, speed in words per minute, pitch): every combination below is training speech. British
# variants are spelt "en+m1": espeak-ng ignores the variant in "en-gb+m1".
TRAIN_VOICES = (
    "en-us",
    "en-gb",
    "en-us+m3",
    "en-us+f2",
    "en+m1",
    "en-us+f4",
    "en-029",
    "en-gb-x-rp+m5",
    "en-us+m2",
    "en+m4",
    "en-us+m6",
    "en+f1",
    "en-us+f5",
    "en-us-nyc",
    "en-gb-x-gbclan+m8",
)
TRAIN_SPEEDS = (130, 150, 170, 190)
TRAIN_PITCHES = (35, 50, 65)
# Voices, speeds and pitches the model never hears in training.
HELD_OUT = (
    ("en-us+m7", 160, 45),
    ("en-us+m7", 175, 55),
    ("en+f3", 160, 45),
    ("en+f3", 140, 60),
    ("en-gb-scotland", 160, 50),
    ("en-us", 160, 50),  # a training voice at a speed between the training speeds
)
# The German voice with the same variants (m7 and f3 held out in both languages, so the variant tells no language).
GERMAN_TRAIN_VOICES = tuple(
    f"{GERMAN_VOICE}+{variant}" for variant in ("m1", "m2", "m3", "m4", "m5", "m6", "m8", "f1", "f2", "f4", "f5")
) + (GERMAN_VOICE,)
GERMAN_HELD_OUT = (
    (f"{GERMAN_VOICE}+m7", 160, 45),
    (f"{GERMAN_VOICE}+m7", 175, 55),
    (f"{GERMAN_VOICE}+f3", 160, 45),
    (f"{GERMAN_VOICE}+f3", 140, 60),
    (GERMAN_VOICE, 160, 50),
)
# Of the bilingual model's windows of two or more phrases, the share that switches language once inside the window.
MIXED_WINDOWS = 0.4
# Of its windows in one language, the share whose prompt names the other language (what a stretch guessed unsurely,
# which keeps the language spoken before it, is decoded with): the model transcribes what it hears all the same.
OTHER_LANGUAGE_TOKEN = 0.1

# The model: a tiny Whisper with the real multilingual vocabulary and 80 mel bins.
WIDTH = 96
HEADS = 4
LAYERS = 2
FFN = 384

N_FRAMES = 3000  # Whisper's 30 s input, in 10 ms mel frames
TIME_STEP = 0.02  # one timestamp token
MAX_PROMPT_CHARACTERS = 400  # translator.stages.recognition passes at most this much previous text

SOT, EOT, EN, DE, TRANSCRIBE = 50258, 50257, 50259, 50261, 50359
START_OF_PREV, NO_SPEECH, NO_TIMESTAMPS, TIMESTAMP_BEGIN = 50361, 50362, 50363, 50364
IGNORE = -100


@dataclass(frozen=True)
class Spoken:
    """A language the model learns: its token and code, its phrases, and the voices that speak them."""

    token: int
    code: str
    phrases: tuple[str, ...]
    voices: tuple[str, ...]
    held_out: tuple[tuple[str, int, int], ...]


ENGLISH = Spoken(EN, "en", PHRASES, TRAIN_VOICES, HELD_OUT)
GERMAN = Spoken(DE, "de", GERMAN_PHRASES, GERMAN_TRAIN_VOICES, GERMAN_HELD_OUT)


@dataclass
class Clip:
    phrase: int  # index into the phrases of all the languages, in order
    language: int  # its language token
    audio: np.ndarray  # 16 kHz float32, trimmed to the speech
    round_trip: np.ndarray  # the same after 16 kHz -> 44.1 kHz -> 16 kHz


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def resample(audio: np.ndarray, rate: int, target: int) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=target)
    frame = av.AudioFrame.from_ndarray(audio[None, :].astype(np.float32), format="flt", layout="mono")
    frame.sample_rate = rate
    pieces = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    pieces += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(pieces).astype(np.float32)


def trim(audio: np.ndarray) -> np.ndarray:
    """Cut espeak-ng's own leading and trailing silence."""
    loud = np.flatnonzero(np.abs(audio) > 0.02 * np.abs(audio).max())
    return audio[max(loud[0] - 80, 0) : loud[-1] + 80] if len(loud) else audio


def speak(text: str, voice: str, speed: int, pitch: int, folder: Path) -> np.ndarray:
    path = speak_phrase(text, folder / "speech.wav", voice=voice, speed=speed, pitch=pitch)
    return trim(read_audio(path))


def make_clips(languages: tuple[Spoken, ...], folder: Path) -> list[Clip]:
    clips = []
    texts = [(language, text) for language in languages for text in language.phrases]
    for index, (language, text) in enumerate(texts):
        for voice in language.voices:
            for speed in TRAIN_SPEEDS:
                for pitch in TRAIN_PITCHES:
                    audio = speak(text, voice, speed, pitch, folder)
                    round_trip = resample(resample(audio, SAMPLE_RATE, 44100), 44100, SAMPLE_RATE)
                    clips.append(Clip(index, language.token, audio, round_trip))
        lengths = [len(c.audio) / SAMPLE_RATE for c in clips if c.phrase == index]
        log(f"  {text!r}: {len(lengths)} clips, {min(lengths):.2f}-{max(lengths):.2f} s")
    return clips


class Sampler:
    """Random training windows and their Whisper token sequences."""

    def __init__(self, languages: tuple[Spoken, ...], clips: list[Clip], rng: random.Random) -> None:
        from faster_whisper.feature_extractor import FeatureExtractor

        self.languages = {language.token: language for language in languages}
        self.clips = clips
        self.clips_by_language = {token: [c for c in clips if c.language == token] for token in self.languages}
        self.rng = rng
        self.np_rng = np.random.default_rng(rng.randrange(2**32))
        self.extractor = FeatureExtractor(feature_size=80)
        tokenizer = whisper_tokenizer()
        texts = [text for language in languages for text in language.phrases]
        self.text_ids = [tokenizer.encode(" " + p, add_special_tokens=False).ids for p in texts]
        self.tokenizer = tokenizer

    def features(self, audio: np.ndarray) -> np.ndarray:
        """Exactly what faster-whisper's transcribe feeds the encoder for a window of < 30 s."""
        from faster_whisper.audio import pad_or_trim

        features = self.extractor(audio)
        return pad_or_trim(features[:, : min(N_FRAMES, features.shape[-1] - 1)])

    def silence(self, seconds: float) -> np.ndarray:
        level = 0.0 if self.rng.random() < 0.3 else 10 ** self.rng.uniform(-4.0, -2.3)
        return (self.np_rng.standard_normal(int(seconds * SAMPLE_RATE)) * level).astype(np.float32)

    def speech(self, clip: Clip) -> np.ndarray:
        audio = clip.round_trip if self.rng.random() < 0.3 else clip.audio
        if self.rng.random() < 0.6:
            # Play it faster or slower: a higher or lower voice with a shorter or longer vocal tract.
            factor = self.rng.uniform(0.88, 1.12)
            audio = np.interp(np.arange(0, len(audio) - 1, factor), np.arange(len(audio)), audio)
        return (audio * self.rng.uniform(0.25, 1.6)).astype(np.float32)

    def choose(self, count: int) -> list[Clip]:
        """`count` clips for one window: in one language, or (bilingual, `MIXED_WINDOWS`) switching language once."""
        if len(self.languages) == 1:
            return [self.rng.choice(self.clips) for _ in range(count)]
        order = list(self.languages)
        self.rng.shuffle(order)
        switch = self.rng.randint(1, count - 1) if count > 1 and self.rng.random() < MIXED_WINDOWS else count
        return [self.rng.choice(self.clips_by_language[order[index >= switch]]) for index in range(count)]

    def task_language(self, spoken: int) -> int:
        """The language token the decoder is prompted with for speech in `spoken` (NO_SPEECH: none)."""
        if len(self.languages) == 1:
            return EN
        if spoken in self.languages and self.rng.random() >= OTHER_LANGUAGE_TOKEN:
            return spoken
        return self.rng.choice([token for token in self.languages if token != spoken])

    def prompt(self, language: int) -> list[int]:
        """A `<|startofprev|>` prompt as faster-whisper builds it from the recognizer's previous text, which batch
        and live keep in one language."""
        if self.rng.random() < 0.5:
            return []
        phrases = self.languages[language].phrases
        words = " ".join(self.rng.choice(phrases) for _ in range(self.rng.randint(1, 14)))
        text = words[-MAX_PROMPT_CHARACTERS:].strip()
        return [START_OF_PREV, *self.tokenizer.encode(" " + text, add_special_tokens=False).ids]

    def sample(self) -> tuple[np.ndarray, list[int], list[int]]:
        """One window: (features, decoder input ids, target ids with IGNORE where no loss is taken)."""
        timestamps = self.rng.random() < 0.75
        kind = self.rng.random()
        if kind < 0.06:  # silence or noise only
            audio = self.silence(self.rng.uniform(0.3, 3.0))
            language, body = NO_SPEECH, ([TIMESTAMP_BEGIN] if timestamps else [])
        elif kind < 0.36:  # two to four phrases in one window, as pack_windows packs consecutive chunks
            chosen = self.choose(self.rng.choice((2, 2, 3, 4)))
            parts = [self.silence(self.rng.uniform(0.0, 0.5))]
            body = []
            for index, clip in enumerate(chosen):
                if index:
                    parts.append(self.silence(self.rng.uniform(0.2, 1.2)))
                start = sum(map(len, parts)) / SAMPLE_RATE
                parts.append(self.speech(clip))
                end = sum(map(len, parts)) / SAMPLE_RATE
                if timestamps:  # each segment <|start|> text<|end|>, the first starting at <|0.00|>
                    body += [self.stamp(start) if index else TIMESTAMP_BEGIN, *self.text_ids[clip.phrase]]
                    body.append(self.stamp(end))
                else:
                    body += self.text_ids[clip.phrase]
            parts.append(self.silence(self.rng.uniform(0.0, 0.5)))
            audio = np.concatenate(parts)
            language = self.language_of(chosen, parts)
        else:  # one phrase, as the segmenter cuts it (with up to 0.5 s of context either side)
            (clip,) = self.choose(1)
            lead = self.silence(self.rng.uniform(0.0, 0.5))
            speech = self.speech(clip)
            audio = np.concatenate([lead, speech, self.silence(self.rng.uniform(0.0, 0.5))])
            language = clip.language
            body = self.text_ids[clip.phrase]
            if timestamps:
                body = [TIMESTAMP_BEGIN, *body, self.stamp((len(lead) + len(speech)) / SAMPLE_RATE)]
        if self.rng.random() < 0.15:  # what 16-bit sound devices deliver
            audio = np.round(audio * 32767) / 32767
        audio = np.clip(audio, -1.0, 1.0).astype(np.float32)

        prompted = self.task_language(language)
        prompt = self.prompt(prompted)
        task = [SOT, prompted, TRANSCRIBE] + ([] if timestamps else [NO_TIMESTAMPS])
        sequence = prompt + task + body + [EOT]
        targets = [IGNORE] * len(sequence)
        targets[len(prompt)] = language  # after <|startoftranscript|>: the language, or <|nospeech|>
        for position in range(len(prompt) + len(task) - 1, len(sequence) - 1):
            targets[position] = sequence[position + 1]
        return self.features(audio), sequence[:-1], targets[:-1]

    def language_of(self, chosen: list[Clip], parts: list[np.ndarray]) -> int:
        """The language token to learn for a window of `chosen` clips (spoken as every other one of `parts`): theirs
        if they share one, else each language drawn as often as its share of the speech, so that the model's guess
        for a window of two languages is as unsure as the window is mixed."""
        languages = {clip.language for clip in chosen}
        if len(languages) == 1:
            return languages.pop()
        speech = parts[1::2]
        first = sum(len(audio) for clip, audio in zip(chosen, speech) if clip.language == chosen[0].language)
        share = first / sum(len(audio) for audio in speech)
        return chosen[0].language if self.rng.random() < share else next(c.language for c in chosen[::-1])

    @staticmethod
    def stamp(seconds: float) -> int:
        return TIMESTAMP_BEGIN + min(round(seconds / TIME_STEP), 1499)


def build_model():
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    torch.manual_seed(SEED)
    config = WhisperConfig(
        vocab_size=51865,
        num_mel_bins=80,
        d_model=WIDTH,
        encoder_layers=LAYERS,
        decoder_layers=LAYERS,
        encoder_attention_heads=HEADS,
        decoder_attention_heads=HEADS,
        encoder_ffn_dim=FFN,
        decoder_ffn_dim=FFN,
        max_source_positions=1500,
        max_target_positions=448,
        pad_token_id=EOT,
        bos_token_id=EOT,
        eos_token_id=EOT,
        decoder_start_token_id=SOT,
        dropout=0.0,
    )
    model = WhisperForConditionalGeneration(config)
    # Start each timestamp token's embedding as the encoder's position encoding of its frame (both are
    # 20 ms steps), scaled like the other embeddings: the decoder then finds "where am I in the audio"
    # from the start, which is what transcribing several phrases in one window needs.
    from transformers.models.whisper.modeling_whisper import sinusoids

    with torch.no_grad():
        table = sinusoids(1501, WIDTH)
        positions = model.model.encoder.embed_positions.weight
        assert torch.allclose(positions, table[:1500], atol=1e-4), "the encoder's position encodings changed"
        embeddings = model.model.decoder.embed_tokens.weight
        embeddings[TIMESTAMP_BEGIN : TIMESTAMP_BEGIN + 1501] = table * (embeddings.std() / table.std())
    return model


def read_converted(path: Path) -> dict[str, np.ndarray]:
    """The weights in a CTranslate2 `model.bin` (binary format 6, as `ModelSpec.save` writes it), int8 ones
    dequantized with their per-row scales."""
    import struct

    data = path.read_bytes()
    position = 0

    def unpack(kind: str) -> int:
        nonlocal position
        (value,) = struct.unpack_from(kind, data, position)
        position += struct.calcsize(kind)
        return value

    def string() -> str:
        nonlocal position
        length = unpack("H")
        position += length
        return data[position - length : position - 1].decode()

    assert unpack("I") == 6, f"{path}: not a CTranslate2 binary of format 6"
    string(), unpack("I")  # the spec's name and revision
    dtypes = ("float32", "int8", "int16", "int32", "float16", "bfloat16")
    raw = {}
    for _ in range(unpack("I")):
        name = string()
        shape = [unpack("I") for _ in range(unpack("B"))]
        dtype, size = dtypes[unpack("B")], unpack("I")
        raw[name] = np.frombuffer(data, dtype, size // np.dtype(dtype).itemsize, position).reshape(shape)
        position += size
    weights = {}
    for name, value in raw.items():
        if name.endswith("_scale"):
            continue
        scale = raw.get(f"{name}_scale")
        rows = scale.reshape(-1, *[1] * (value.ndim - 1)) if scale is not None else 1
        weights[name] = value.astype(np.float32) / rows
    return weights


def load_converted(model, folder: Path) -> None:
    """Set `model`'s weights from the CTranslate2 conversion in `folder` (what `convert` wrote), to fine-tune it."""
    import torch

    weights = read_converted(folder / "model.bin")
    width = model.config.d_model

    def put(module, name: str) -> None:
        module.weight.copy_(torch.from_numpy(weights[f"{name}/weight"]))
        if getattr(module, "bias", None) is not None:
            module.bias.copy_(torch.from_numpy(weights[f"{name}/bias"]))

    def put_norm(module, name: str) -> None:
        module.weight.copy_(torch.from_numpy(weights[f"{name}/gamma"]))
        module.bias.copy_(torch.from_numpy(weights[f"{name}/beta"]))

    def put_split(modules, name: str) -> None:  # CTranslate2 fuses projections; a missing bias was stored as zeros
        for index, module in enumerate(modules):
            rows = slice(index * width, (index + 1) * width)
            module.weight.copy_(torch.from_numpy(weights[f"{name}/weight"][rows]))
            if module.bias is not None:
                module.bias.copy_(torch.from_numpy(weights[f"{name}/bias"][rows]))

    def put_layer(layer, name: str, cross: bool) -> None:
        attention = layer.self_attn
        put_split((attention.q_proj, attention.k_proj, attention.v_proj), f"{name}/self_attention/linear_0")
        put(attention.out_proj, f"{name}/self_attention/linear_1")
        put_norm(layer.self_attn_layer_norm, f"{name}/self_attention/layer_norm")
        if cross:
            attention = layer.encoder_attn
            put(attention.q_proj, f"{name}/attention/linear_0")
            put_split((attention.k_proj, attention.v_proj), f"{name}/attention/linear_1")
            put(attention.out_proj, f"{name}/attention/linear_2")
            put_norm(layer.encoder_attn_layer_norm, f"{name}/attention/layer_norm")
        put(layer.fc1, f"{name}/ffn/linear_0")
        put(layer.fc2, f"{name}/ffn/linear_1")
        put_norm(layer.final_layer_norm, f"{name}/ffn/layer_norm")

    encoder, decoder = model.model.encoder, model.model.decoder
    with torch.no_grad():
        put(encoder.conv1, "encoder/conv1")
        put(encoder.conv2, "encoder/conv2")
        encoder.embed_positions.weight.copy_(torch.from_numpy(weights["encoder/position_encodings/encodings"]))
        put_norm(encoder.layer_norm, "encoder/layer_norm")
        for index, layer in enumerate(encoder.layers):
            put_layer(layer, f"encoder/layer_{index}", cross=False)
        put(decoder.embed_tokens, "decoder/embeddings")  # the output projection shares it
        decoder.embed_positions.weight.copy_(torch.from_numpy(weights["decoder/position_encodings/encodings"]))
        put_norm(decoder.layer_norm, "decoder/layer_norm")
        for index, layer in enumerate(decoder.layers):
            put_layer(layer, f"decoder/layer_{index}", cross=True)


def train(model, sampler: Sampler, steps: int, batch_size: int, learning_rate: float) -> None:
    import torch

    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=learning_rate, weight_decay=0.01
    )
    warmup = max(steps // 20, 1)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(steps - warmup, 1)))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    model.train()
    started = time.time()
    losses, text_hits, text_count, stamp_hits, stamp_count = [], 0, 0, 0, 0
    language_hits = language_count = 0
    for step in range(steps):
        batch = [sampler.sample() for _ in range(batch_size)]
        features = torch.from_numpy(np.stack([b[0] for b in batch]))
        length = max(len(b[1]) for b in batch)
        inputs = torch.tensor([b[1] + [EOT] * (length - len(b[1])) for b in batch])
        targets = torch.tensor([b[2] + [IGNORE] * (length - len(b[2])) for b in batch])
        hidden = model.model(input_features=features, decoder_input_ids=inputs).last_hidden_state
        chosen = targets != IGNORE
        logits = model.proj_out(hidden[chosen])
        loss = torch.nn.functional.cross_entropy(logits, targets[chosen])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        guesses, wanted = logits.argmax(-1), targets[chosen]
        stamps = wanted >= TIMESTAMP_BEGIN
        text_hits += int((guesses == wanted)[~stamps].sum())
        text_count += int((~stamps).sum())
        stamp_hits += int(((guesses - wanted).abs() <= 5)[stamps].sum())  # within 0.1 s
        stamp_count += int(stamps.sum())
        spoken = (wanted == EN) | (wanted == DE)  # the language token after <|startoftranscript|>
        language_hits += int((guesses == wanted)[spoken].sum())
        language_count += int(spoken.sum())
        if (step + 1) % 25 == 0 or step + 1 == steps:
            elapsed = time.time() - started
            log(
                f"step {step + 1}/{steps}: loss {np.mean(losses):.3f}, text tokens right {text_hits / text_count:.3f}, "
                f"timestamps within 0.1 s {stamp_hits / max(stamp_count, 1):.3f}, "
                f"language tokens right {language_hits / max(language_count, 1):.3f}, "
                f"lr {scheduler.get_last_lr()[0]:.2e}, {elapsed / 60:.1f} min, "
                f"about {elapsed / (step + 1) * (steps - step - 1) / 60:.1f} min left"
            )
            losses, text_hits, text_count, stamp_hits, stamp_count = [], 0, 0, 0, 0
            language_hits = language_count = 0


def suppress_ids() -> list[int]:
    """Whisper's default `suppress_tokens`: non-speech symbols plus the task tokens, as in OpenAI's models."""
    from faster_whisper.tokenizer import Tokenizer

    tokenizer = Tokenizer(whisper_tokenizer(), multilingual=True, task="transcribe", language="en")
    ids = set(tokenizer.non_speech_tokens)
    ids.update([SOT, 50358, TRANSCRIBE, 50360, START_OF_PREV, NO_SPEECH])
    return sorted(ids)


def convert(model, folder: Path) -> None:
    """Write the CTranslate2 int8 model folder (without tokenizer.json, which the project regenerates)."""
    from ctranslate2.converters.transformers import WhisperLoader

    model.eval()
    tokenizer = whisper_tokenizer()
    vocabulary = [tokenizer.id_to_token(i) for i in range(tokenizer.get_vocab_size())]
    spec = WhisperLoader().get_model_spec(model)
    spec.register_vocabulary(vocabulary)
    spec.config.suppress_ids = suppress_ids()
    spec.config.suppress_ids_begin = [tokenizer.token_to_id("Ġ"), EOT]
    spec.config.lang_ids = [tokenizer.token_to_id(f"<|{code}|>") for code in WHISPER_TOKEN_LANGUAGES]
    # Cross-attention heads for word timestamps: all heads of the last decoder layer.
    spec.config.alignment_heads = [(LAYERS - 1, head) for head in range(HEADS)]
    spec.validate()
    spec.optimize("int8")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    spec.save(str(folder))
    (folder / "preprocessor_config.json").write_text(
        json.dumps(
            {
                "chunk_length": 30,
                "feature_extractor_type": "WhisperFeatureExtractor",
                "feature_size": 80,
                "hop_length": 160,
                "n_fft": 400,
                "n_samples": 480000,
                "nb_max_frames": 3000,
                "padding_side": "right",
                "padding_value": 0.0,
                "processor_class": "WhisperProcessor",
                "return_attention_mask": False,
                "sampling_rate": 16000,
            },
            indent=2,
        )
        + "\n"
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted(SHIPPED_FILES), list(folder.iterdir())


def evaluate(languages: tuple[Spoken, ...], folder: Path, clips: list[Clip], work: Path, seed: int) -> dict[str, float]:
    """Accuracy through faster-whisper's real `WhisperModel`, as translator.stages.recognition calls it: each phrase
    transcribed in its own language and, with two languages, told apart by `detect_language`."""
    from faster_whisper import WhisperModel

    loadable = work / "model"
    shutil.copytree(folder, loadable, dirs_exist_ok=True)
    whisper_tokenizer().save(str(loadable / "tokenizer.json"))
    model = WhisperModel(str(loadable), device="cpu", compute_type="int8", cpu_threads=2)
    rng = np.random.default_rng(seed)
    texts = [text for language in languages for text in language.phrases]
    by_token = {language.token: language for language in languages}
    bilingual = len(languages) > 1

    def transcribe(
        audio: np.ndarray, language: str = "en", without_timestamps: bool = False, prompt: str | None = None
    ) -> str:
        segments, _ = model.transcribe(
            audio,
            language=language,
            beam_size=1,
            vad_filter=False,
            condition_on_previous_text=True,
            initial_prompt=prompt,
            without_timestamps=without_timestamps,
        )
        return " ".join(s.text.strip() for s in segments if s.text.strip())

    def window(speech: np.ndarray, round_trip: bool = False) -> np.ndarray:
        if round_trip:
            speech = resample(resample(speech, SAMPLE_RATE, 44100), 44100, SAMPLE_RATE)
        pad = np.zeros(int(0.3 * SAMPLE_RATE), np.float32)
        noise = rng.normal(0, 3e-4, len(speech) + 2 * len(pad)).astype(np.float32)
        return np.concatenate([pad, speech, pad]) + noise

    results: dict[str, float] = {}
    train_picks = [clips[i] for i in rng.choice(len(clips), 60, replace=False)]
    hits = sum(transcribe(window(c.audio * 0.8), by_token[c.language].code) == texts[c.phrase] for c in train_picks)
    results["training voices"] = hits / len(train_picks)

    held_hits = held_total = detected = 0
    failures = []
    for language in languages:
        for voice, speed, pitch in language.held_out:
            for text in language.phrases:
                audio = speak(text, voice, speed, pitch, work)
                for round_trip in (False, True):
                    heard_audio = window(audio, round_trip)
                    heard = transcribe(heard_audio, language.code)
                    held_total += 1
                    if heard == text:
                        held_hits += 1
                    else:
                        failures.append(f"{voice} {speed} {pitch} rt={round_trip}: {text!r} -> {heard!r}")
                    if bilingual:
                        guess, probability, _ = model.detect_language(heard_audio)
                        detected += guess == language.code
                        if guess != language.code:
                            failures.append(f"{voice} {speed} {pitch} rt={round_trip}: {text!r} is {guess}")
    results["held-out voices"] = held_hits / held_total
    if bilingual:
        results["held-out voices, language detected"] = detected / held_total
    for failure in failures:
        log(f"  held-out miss: {failure}")

    plain = [clips[i] for i in rng.choice(len(clips), 30, replace=False)]
    results["without timestamps"] = sum(
        transcribe(window(c.audio), by_token[c.language].code, without_timestamps=True) == texts[c.phrase]
        for c in plain
    ) / len(plain)
    results["with a prompt"] = sum(
        transcribe(window(c.audio), by_token[c.language].code, prompt=" ".join(by_token[c.language].phrases[::-1]))
        == texts[c.phrase]
        for c in plain
    ) / len(plain)
    gap = np.zeros(int(0.6 * SAMPLE_RATE), np.float32)

    def spoken_together(group: list[Clip]) -> np.ndarray:
        return window(np.concatenate([part for c in group for part in (c.audio, gap)]))

    for count in (2, 3, 4):
        groups = []
        for language in languages:
            same = [c for c in plain if c.language == language.token]
            groups += [same[i : i + count] for i in range(0, len(same) - count + 1, count)]
        results[f"{count} phrases in a window"] = sum(
            transcribe(spoken_together(group), by_token[group[0].language].code)
            == " ".join(texts[c.phrase] for c in group)
            for group in groups
        ) / len(groups)
    if bilingual:  # English then German in one window: unsure, so language_parts detects it stretch by stretch
        english, german = ([c for c in plain if c.language == token] for token in (EN, DE))
        mixed = [english[i : i + 1 + i % 2] + german[i : i + 1 + (i // 2) % 2] for i in range(0, 8)]
        guesses = [model.detect_language(spoken_together(group))[1] for group in mixed]
        log(f"  two languages in a window, guessed with probability {', '.join(f'{p:.2f}' for p in guesses)}")
        results[f"two languages in a window, guessed below {CONFIDENT_LANGUAGE}"] = sum(
            p < CONFIDENT_LANGUAGE for p in guesses
        ) / len(guesses)
    silences = [np.zeros(SAMPLE_RATE, np.float32), rng.normal(0, 1e-3, 2 * SAMPLE_RATE).astype(np.float32)]
    results["silence gives nothing"] = sum(transcribe(s) == "" for s in silences) / len(silences)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bilingual", action="store_true", help="English and German, into phrase-whisper-bilingual")
    parser.add_argument(
        "--init", choices=("english", "scratch"), help="start from the shipped English model (--bilingual's default)"
    )
    parser.add_argument("--steps", type=int, help="600; 280 when fine-tuning")
    parser.add_argument("--batch-size", type=int, help="16; 8 when fine-tuning")
    parser.add_argument("--learning-rate", type=float, help="2e-3; 1e-3 when fine-tuning")
    parser.add_argument("--output", type=Path, help="models/phrase-whisper, or -bilingual")
    parser.add_argument("--check-only", action="store_true", help="check the model in --output, train nothing")
    arguments = parser.parse_args()
    languages = (ENGLISH, GERMAN) if arguments.bilingual else (ENGLISH,)
    fine_tune = (arguments.init or ("english" if arguments.bilingual else "scratch")) == "english"
    steps = arguments.steps or (280 if fine_tune else 600)
    batch_size = arguments.batch_size or (8 if fine_tune else 16)
    learning_rate = arguments.learning_rate or (1e-3 if fine_tune else 2e-3)
    output = arguments.output or (BILINGUAL_MODEL if arguments.bilingual else SHIPPED_MODEL)

    import torch

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    random.seed(SEED)
    np.random.seed(SEED)
    started = time.time()
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        voices = sorted({voice for language in languages for voice in language.voices})
        count = sum(len(language.phrases) for language in languages)
        log(f"speaking {count} phrases with espeak-ng ({len(voices)} voices, speeds, pitches)")
        clips = make_clips(languages, work)
        if not arguments.check_only:
            sampler = Sampler(languages, clips, random.Random(SEED))
            model = build_model()
            if fine_tune:
                load_converted(model, SHIPPED_MODEL)
            parameters = sum(p.numel() for p in model.parameters())
            start = f"from {SHIPPED_MODEL.name}" if fine_tune else "from scratch"
            log(f"training a {parameters / 1e6:.2f}M-parameter Whisper {start} for {steps} steps")
            train(model, sampler, steps, batch_size, learning_rate)
            convert(model, output)
            size = (output / "model.bin").stat().st_size
            log(f"wrote {output} (model.bin {size / 1e6:.2f} MB)")
            minutes = (time.time() - started) / 60
            log(f"trained and converted in {minutes:.1f} min; checking with faster-whisper")
        for name, value in evaluate(languages, output, clips, work, SEED + 1).items():
            log(f"accuracy, {name}: {value:.1%}")
    log(f"done in {(time.time() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
