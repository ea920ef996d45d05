"""The moderation rules, pure: Rekognition's taxonomy and the policy that turns labels into
a decision. Imports nothing of chalicelib."""
