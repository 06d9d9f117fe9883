"""nets: sparse masked torch layers, graph-wired models, learning rules and training."""

from nets.feedback import (
    Feedback,
    FeedbackLinearFunction,
    LinearPlan,
    alignment_angle,
    as_feedback,
    feedback_linear,
    feedback_matrix,
    update_angle,
)
from nets.layers import SparseLinear
from nets.models import SparseMLP, WiredNet
from nets.wiring import DAGWiring, dag_wiring, layered_masks, relational_masks
from nets.layered import layered_smallworld
from nets.data import DATASETS, Dataset, load_dataset, read_idx
from nets.dfa import DFAFeedback, DFAOutput
from nets.local import LocalHead, similarity_matrix
from nets.rules import Rule, apply_rule, as_rule
from nets.reward import AgrelLearner, NodePerturbationLearner
from nets.dendritic import DendriticLearner
from nets.card import PROBLEMS, rule_card
from nets.rewire import Rewiring
from nets.train import TrainingDiverged, TrainResult, evaluate, train

__all__: list[str] = [
    "SparseLinear",
    "Feedback",
    "as_feedback",
    "feedback_matrix",
    "FeedbackLinearFunction",
    "feedback_linear",
    "LinearPlan",
    "alignment_angle",
    "update_angle",
    "SparseMLP",
    "WiredNet",
    "layered_masks",
    "relational_masks",
    "dag_wiring",
    "layered_smallworld",
    "DAGWiring",
    "Dataset",
    "DATASETS",
    "load_dataset",
    "read_idx",
    "Rule",
    "as_rule",
    "apply_rule",
    "NodePerturbationLearner",
    "AgrelLearner",
    "DendriticLearner",
    "rule_card",
    "PROBLEMS",
    "DFAOutput",
    "DFAFeedback",
    "LocalHead",
    "similarity_matrix",
    "Rewiring",
    "train",
    "TrainResult",
    "TrainingDiverged",
    "evaluate",
]
