"""Every shipped network comes with its citation (issue 11: celegans() returned a bare matrix)."""

import pytest
import scipy.sparse as sp

import smallworld as sw

EXPECTED = {
    "celegans": ("10.1038/30918", "Watts & S. H. Strogatz"),
    "celegans_directed": ("10.1038/30918", "Watts & S. H. Strogatz"),
    "karate": ("10.1086/jar.33.4.3629752", "Zachary"),
    "macaque71": ("10.1098/rspb.1993.0040", "Young"),
    "cat52": ("10.1093/cercor/9.3.277", "Scannell"),
    "macaque_visual30": ("10.1093/cercor/1.1.1", "Felleman"),
}


@pytest.mark.parametrize("name", sw.datasets.list_datasets())
def test_loaded_matrix_carries_its_citation(name):
    A = sw.datasets.load(name)
    doi, author = EXPECTED[name]
    assert isinstance(A, sp.csr_array)
    assert A.doi == doi and author in A.citation
    assert A.info is sw.datasets.describe(name)
    assert A.info.n == A.shape[0]


def test_celegans_citation_and_published_values():
    A, labels = sw.datasets.celegans(return_labels=True)
    assert A.citation.startswith("D. J. Watts & S. H. Strogatz, Nature 393:440-442 (1998)")
    assert A.info.published["C"] == 0.28 and A.info.computed["C"] == 0.2924
    assert len(labels) == 297


def test_each_load_is_a_fresh_copy_with_its_own_metadata():
    A = sw.datasets.karate()
    A.citation = "edited"
    assert sw.datasets.karate().citation.startswith("W. W. Zachary")
