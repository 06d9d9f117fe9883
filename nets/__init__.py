"""nets: sparse masked torch layers, graph-wired models, learning rules and training."""

from nets.feedback import Feedback, FeedbackLinearFunction, LinearPlan, alignment_angle, as_feedback, feedback_matrix, update_angle
from nets.layers import SparseLinear

__all__: list[str] = [
    "SparseLinear",
    "Feedback",
    "as_feedback",
    "feedback_matrix",
    "FeedbackLinearFunction",
    "LinearPlan",
    "alignment_angle",
    "update_angle",
]
