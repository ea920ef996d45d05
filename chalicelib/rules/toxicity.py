"""Amazon Comprehend DetectToxicContent's labels (botocore model, ToxicContentType): what chat
toxicity thresholds may name, in the stage's settings and in a policy."""

TOXIC_LABELS = (
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "HATE_SPEECH",
    "INSULT",
    "PROFANITY",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
)
ANY_LABEL = "*"
