"""Chat moderation: the viewers' chat rooms held to the same rules as the picture.

The synchronous review (review.py: bans, blocked terms, links, within IVS's 200 ms), the
deep pass (analysis.py: Comprehend, images; enforcement.py removes what violates), chat
incidents in the moderators' queue (incidents.py, actions.py) and what they keep
(store.py). The design is in docs/chat-moderation.md.
"""
