"""The offline brain: a trained ticket classifier, policy retrieval, decision rules, drafts.

Each part is honest and small: the classifier is a scikit-learn pipeline trained on the
golden train split, retrieval is TF-IDF over the approved policy sections, recommendations
apply the policy's decision table to the order data, and drafts are assembled from approved
policy text with citations. Needs scikit-learn: `pip install 'earned[refund]'`.
"""

from examples.refund_agent.brain.policy_doc import PolicyDocument, Section

__all__ = ["PolicyDocument", "Section"]
