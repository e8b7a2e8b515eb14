"""Cluster labels: c-TF-IDF against a hand computation, term extraction, term choice, seed names."""

from __future__ import annotations

import math

import numpy as np
import pytest

from explorer import ExplorerError
from explorer.maps import topics
from explorer.maps.labels import c_tf_idf, label_clusters, pick_terms, terms


def rows_with(corpus, fragments) -> list[int]:
    return [i for i, p in enumerate(corpus) if any(f in p.title for f in fragments)]


@pytest.fixture(scope="module")
def seed_labels(seed_vectors):
    """Cluster labels (41,) of the seed map, every default (as tests/test_topics.py makes them)."""
    return topics.cluster(topics.project(seed_vectors))


def test_seed_cluster_labels_name_their_topics(seed_corpus, seed_labels):
    labels = seed_labels
    names = label_clusters([p.text for p in seed_corpus], labels)
    assert set(names) == set(labels[labels >= 0].tolist())  # noise gets no label
    tox = names[int(labels[rows_with(seed_corpus, ("Toxicity Detection",))[0]])]
    assert {"comments", "moderation", "toxicity", "toxic", "conversations"} & set(tox.split(" · "))
    gemma = names[int(labels[rows_with(seed_corpus, ("Gemma 2",))[0]])]
    assert "language models" in gemma or "llm" in gemma
    rec = names[int(labels[rows_with(seed_corpus, ("Cold-start",))[0]])]
    assert "recommend" in rec
    for name in names.values():
        words = name.split(" · ")
        assert len(words) == 4 and len(set(words)) == 4
        assert not {"propose", "paper", "model", "models", "results"} & set(words)


def test_c_tf_idf_matches_a_hand_computation():
    texts = ["apple banana", "apple cherry", "banana durian", "durian eggplant"]
    classes, vocab, scores = c_tf_idf(texts, np.array([0, 0, 1, 1]), ngrams=1)
    assert classes == [0, 1]
    assert vocab == ["apple", "banana", "cherry", "durian", "eggplant"]
    # per class 4 counts, A = 4; f = 2, 2, 1, 2, 1; tf = count / 4; idf = log(1 + 4 / f)
    l3, l5 = math.log(3), math.log(5)
    expected = [[0.5 * l3, 0.25 * l3, 0.25 * l5, 0, 0], [0, 0.25 * l3, 0, 0.5 * l3, 0.25 * l5]]
    np.testing.assert_allclose(scores.toarray(), expected, rtol=1e-12)


def test_label_clusters_on_a_tiny_example():
    texts = [
        "Toxicity detection in online forums.",
        "We propose toxicity detection for comments; see https://github.com/x/y.",
        "Toxicity detection of $\\alpha$-hateful \\emph{comments} with \\textbf{moderation}.",
        "Gaussian splatting for rendering.",
        "Gaussian splatting improves rendering speed.",
        "Fast Gaussian splatting and rendering of scenes.",
        "An unrelated remark.",
    ]
    labels = np.array([0, 0, 0, 1, 1, 1, -1])
    names = label_clusters(texts, labels, n_terms=2)
    assert names == {0: "toxicity detection · comments", 1: "gaussian splatting · rendering"}


def test_terms_drop_stop_words_latex_and_urls():
    text = "We propose $x^2$ \\emph{Robust} Toxicity-Detection (RTD) of comments: see https://a.b/c"
    assert terms(text, ngrams=2) == [
        "robust",
        "toxicity-detection",
        "robust toxicity-detection",
        "rtd",
        "comments",
    ]
    # "models" alone names no topic, but "language models" does
    assert terms("language models", ngrams=2) == ["language", "language models"]


def test_pick_terms_grows_and_dedupes():
    # (term, score, documents of the cluster holding it)
    ranked = [
        ("language", 1.0, 10),
        ("models", 0.9, 9),
        ("language models", 0.8, 8),
        ("large language models", 0.7, 7),
        ("llms", 0.6, 6),
        ("games", 0.5, 5),
        ("game", 0.4, 4),
        ("robot", 0.3, 3),
        ("robotic", 0.2, 2),
        ("fairness", 0.1, 1),
        ("robot arms", 0.05, 1),
    ]  # in a third of the robot papers only: no growth
    assert pick_terms(ranked, 4) == ["large language models", "games", "robot", "fairness"]


def test_generic_filler_is_left_out_of_labels():
    # "training" and "setting" are in every abstract: filler. "robot" is common in the corpus
    # too, but nearly all its papers are in topic 0: there it names the topic.
    words = {0: "grasping, gripper, robot", 1: "voting, ballots", 2: "spectrum, antenna, radio"}
    texts, labels = [], []
    for c, topic_words in words.items():
        for i in range(20):
            texts.append(f"{topic_words}, training setting, sample{c}x{i % 7}.")
            labels.append(c)
    texts += ["robot, training setting."] * 2
    labels += [1, 1]
    labels = np.array(labels)
    before = label_clusters(texts, labels, common=0)
    after = label_clusters(texts, labels)
    filler = {"training", "setting", "training setting"}
    assert any(filler & set(n.split(" · ")) for n in before.values())
    for name in after.values():
        assert not filler & set(name.split(" · ")), name
    assert "robot" in after[0].split(" · ")
    assert "robot" not in after[1].split(" · ")


def test_a_word_names_only_the_topic_it_is_most_distinctive_of():
    texts = ["video, motion, diffusion"] * 5 + ["video, motion"] * 5
    texts += ["diffusion, image, editing"] * 6 + ["diffusion"] * 4
    texts += ["graph networks nodes"] * 20
    labels = np.array([0] * 10 + [1] * 10 + [2] * 20)
    names = label_clusters(texts, labels, n_terms=3)
    has = [c for c, n in names.items() if "diffusion" in n.split(" · ")]
    assert has == [1]  # in all of topic 1's papers, but only in topic 0's alongside better words
    assert label_clusters(texts, labels, n_terms=3, common=0)[0].count("diffusion") == 1


def test_terms_read_once_count_as_scikit_learn_counts_them(seed_corpus, seed_labels):
    """DocTerms (each text read once, for every level of the topic tree) against an oracle:
    scikit-learn's CountVectorizer over the same terms, on any part of the seed corpus."""
    from sklearn.feature_extraction.text import CountVectorizer

    from explorer.maps.labels import DocTerms, sibling_labels

    texts = [p.text for p in seed_corpus]
    part = np.array([3, 5, 8, 13, 21, 34, 1, 2])
    docs = DocTerms(texts, rows=np.arange(0, 41, 1))
    classes, vocab, counts = docs.view(part).counts(np.arange(len(part)), seed_labels[part])
    vec = CountVectorizer(analyzer=terms, binary=True)
    oracle = vec.fit_transform([texts[i] for i in part])
    assert vocab == list(vec.get_feature_names_out())
    assert classes == sorted(set(seed_labels[part].tolist()))
    for row, c in enumerate(classes):
        want = np.asarray(oracle[seed_labels[part] == c].sum(axis=0)).ravel()
        assert counts.getrow(row).toarray().ravel().tolist() == want.tolist()
    # The labels from terms read once are the labels from the texts themselves.
    assert sibling_labels(docs, seed_labels) == sibling_labels(texts, seed_labels)
    with pytest.raises(ExplorerError, match="not read"):
        DocTerms(texts, rows=part).counts(np.array([0]), np.array([0]))
