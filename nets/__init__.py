"""nets: sparse masked torch layers, graph-wired models, learning rules and training."""

from nets.feedback import Feedback, FeedbackLinearFunction, LinearPlan, alignment_angle, as_feedback, feedback_matrix, update_angle
from nets.layers import SparseLinear
from nets.models import SparseMLP, WiredNet
from nets.wiring import DAGWiring, dag_wiring, layered_masks, relational_masks

__all__: list[str] = [
    "SparseLinear",
    "Feedback",
    "as_feedback",
    "feedback_matrix",
    "FeedbackLinearFunction",
    "LinearPlan",
    "alignment_angle",
    "update_angle",
    "SparseMLP",
    "WiredNet",
    "layered_masks",
    "relational_masks",
    "dag_wiring",
    "DAGWiring",
]
