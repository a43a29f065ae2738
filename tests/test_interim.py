"""Local agreement: words are committed once two consecutive passes agree, and never change."""

from __future__ import annotations

from translator.stages.interim import LocalAgreement


def test_first_pass_commits_nothing() -> None:
    agreement = LocalAgreement()
    assert agreement.update("ask not") == ("", "ask not")


def test_agreed_prefix_is_committed_and_the_rest_stays_tentative() -> None:
    agreement = LocalAgreement()
    agreement.update("Ask not what")
    assert agreement.update("Ask not what your country") == ("Ask not what", "your country")
    assert agreement.update("Ask not what your country can") == ("Ask not what your country", "can")


def test_comparison_ignores_case_and_punctuation() -> None:
    agreement = LocalAgreement()
    agreement.update("ask not, what")
    assert agreement.update("Ask not what you") == ("Ask not what", "you")


def test_committed_words_never_change_when_a_pass_disagrees() -> None:
    agreement = LocalAgreement()
    agreement.update("Ask not what")
    agreement.update("Ask not what your")
    committed, tentative = agreement.update("As knot watt your")
    assert committed == "Ask not what"
    assert tentative == "As knot watt your"  # shown as it came, but the committed words stay
    assert agreement.update("Ask not what your country") == ("Ask not what", "your country")
