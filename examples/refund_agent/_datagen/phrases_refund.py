# ruff: noqa: E501 - phrase banks read best one sentence a line
"""How customers ask for refunds, by the reason behind the request.

Slots: {product} (a product name or a noun), {ref} (an order reference, may be empty),
{days} (a rough time since the order), {amount} (the order total).
"""

from __future__ import annotations

REFUND_REQUESTS: dict[str, tuple[str, ...]] = {
    "damaged": (
        "The {product} arrived broken{ref}. I'd like a refund please.",
        "My {product} came damaged{ref} - the box was crushed and it's cracked. Can I get my money back?",
        "{ref_lead}the {product} stopped working after two days. It's clearly defective, I want a refund.",
        "I received the {product} today and it doesn't turn on at all. Please refund me{ref}.",
        "Opened the package and the {product} is scratched all over and one part is snapped off. Refund please{ref}.",
        "The {product} is faulty{ref}. Half of it doesn't work. How do I get a refund?",
        "Unfortunately the {product} I ordered{ref} was damaged in shipping. I would like a full refund rather than a replacement.",
        "{product} arrived in pieces{ref}. want my money back",
        "The {product} has a big tear in it, right out of the box{ref}. Not acceptable, please refund.",
        "I'm writing because the {product}{ref} is defective - it makes a grinding noise and then shuts off. I'd like to return it for a refund.",
        "got the {product} but it was smashed. refund{ref}?",
        "The {product} leaks{ref}. Brand new and already leaking. I want a refund.",
        "Our {product} arrived with a dent and doesn't close properly{ref}. Could you refund it?",
        "The screen on the {product} was cracked when I unboxed it{ref}. Please process a refund.",
        "It broke the first time I used it - the {product}{ref}. I'd like to send it back and get refunded.",
        "Item damaged on arrival{ref}. Requesting refund for the {product}.",
    ),
    "wrong_item": (
        "I ordered the {product} but you sent me something completely different{ref}. I want a refund.",
        "Wrong item received{ref}. The box says {product} but inside is a different product. Refund please.",
        "You sent the wrong size{ref}. I'd rather just get a refund for the {product}.",
        "The {product} I got is the wrong colour{ref} - I ordered black, this is bright orange. Can I get my money back?",
        "This isn't what I ordered{ref}!! I paid for the {product} and got someone else's order. Please refund.",
        "Hi, the package{ref} contained the wrong model of {product}. I don't want an exchange, just a refund.",
        "Received an item that doesn't match my order{ref} ({product}). Please refund the order.",
        "wrong thing in the box{ref}, not my {product}. refund pls",
        "My order{ref} was mixed up - I got a {noun_other} instead of the {product}. I'd like a refund.",
        "The {product} you shipped{ref} is not the one on my order confirmation. Please refund me.",
    ),
    "not_received": (
        "My {product} never arrived{ref}. I'd like a refund.",
        "It's been weeks and the {product}{ref} still hasn't shown up. Please refund me.",
        "Tracking hasn't moved in ages{ref}. I want to cancel and get my money back for the {product}.",
        "The tracking says delivered but there's nothing here{ref}. I never got the {product}. Refund please.",
        "I haven't received my order{ref} yet. Can you cancel it and refund me?",
        "Where is my {product}?{ref} If it's lost I want a refund.",
        "Still waiting on the {product}{ref}. At this point just refund me.",
        "I'd like to cancel my order{ref} before it ships and get a refund for the {product}.",
        "The package{ref} was marked delivered but my neighbours and I can't find it anywhere. I need a refund for the {product}.",
        "Please cancel order{ref} - I ordered the {product} by mistake and it hasn't shipped yet. Refund please.",
        "nothing arrived{ref}. refund",
        "The courier lost my parcel{ref} with the {product}. I would like my money back please.",
    ),
    "change_of_mind": (
        "I'd like to return the {product}{ref} for a refund. It just isn't for me.",
        "Changed my mind about the {product}{ref}. Can I send it back and get a refund?",
        "The {product} doesn't fit the way I hoped{ref}. I'd like to return it.",
        "I bought the {product}{ref} but found it cheaper elsewhere, can I return it for a refund?",
        "Hi, I want to return the {product}{ref}. Never used it, still in the box.",
        "Can I get a refund on the {product}{ref}? I don't need it anymore.",
        "The {product} is not what I expected from the pictures{ref}. I'd like to return it for my money back.",
        "I ordered two by accident and want to return the {product}{ref}.",
        "The {product}{ref} is too big for our kitchen. How do I return it and get refunded?",
        "My daughter already has a {product}, so I'd like to return this one{ref}. Refund please.",
        "I'm not happy with the quality of the {product}{ref}. Please refund.",
        "return request: {product}{ref}, unused",
        "Honestly the {product} is just ok, not worth it. I'd like my money back{ref}.",
        "I want to return the {product} I bought {days}{ref}. What do I need to do to get a refund?",
        "Is it still possible to return the {product}{ref}? I bought it {days}.",
    ),
    "subscription_cancel": (
        "Please cancel my {product}{ref} and refund the payment.",
        "I was charged for the {product} renewal{ref} but I don't use it anymore. Please refund.",
        "I forgot to cancel the {product} and it renewed{ref}. Can I get that money back?",
        "Cancel my {product} subscription and refund me{ref}, I never use it.",
        "I signed up for the {product}{ref} and I don't want it. Refund please.",
        "Hi, the {product}{ref} auto-renewed and I didn't realise. I'd like a refund for this year.",
        "I want to stop the {product} and get refunded for this period{ref}.",
        "Please end my {product}{ref} and give me a refund for the charge {days}.",
    ),
    "digital_unused": (
        "I bought the {product}{ref} by mistake and haven't downloaded it. Can I get a refund?",
        "Please refund the {product}{ref}. I never opened or activated it.",
        "Purchased the {product} twice by accident{ref}. Haven't used the second one, refund please.",
        "I didn't mean to buy the {product}{ref}. I haven't downloaded it yet. Refund?",
        "The {product}{ref} isn't compatible with my device, I haven't installed it. Can I get a refund?",
        "Refund request for the {product}{ref}, unused - the key was never redeemed.",
    ),
    "unspecified": (
        "I want a refund for my order{ref}.",
        "Refund please{ref}.",
        "Can I get a refund for the {product}{ref}?",
        "I'd like my money back for order{ref}.",
        "How do I get a refund for the {product}{ref}?",
        "Requesting a refund{ref}, thanks.",
        "Hi, could you refund the {product}{ref}?",
    ),
}

#: Sentences that add colour to a refund ticket (backstory, stakes, patience).
BACKSTORY: tuple[str, ...] = (
    "I bought it as a birthday present for my sister.",
    "This was supposed to be a gift and now I'm left with nothing to give.",
    "I've been a loyal customer for years and this is the first time I've had a problem.",
    "I've already spent an hour on hold with your phone line.",
    "It was meant for a trip next week.",
    "I saved up for this for a while.",
    "My husband ordered it on my account.",
    "I ordered it on my phone, so I don't have the confirmation email in front of me.",
    "We moved house recently, in case that matters.",
    "I have photos if you need them.",
    "I already sent a message through the app last week but never heard back.",
    "I've kept all the original packaging.",
    "I'm travelling for work so please reply by email.",
    "This is my second time writing about this.",
    "I'm really disappointed because the reviews were so good.",
    "The delivery guy left it in the rain.",
    "No rush, just let me know what you need from me.",
    "I use your store all the time for gifts.",
)

#: Money-specific asides: the customer names the amount.
AMOUNT_ASIDES: tuple[str, ...] = (
    "I paid ${amount} for it.",
    "That's ${amount} I'd like back.",
    "The charge was ${amount}.",
    "It cost me ${amount}, which is not nothing.",
)

#: How customers name a time span, by rough age of the order.
TIME_PHRASES: dict[str, tuple[str, ...]] = {
    "recent": ("a few days ago", "last week", "recently", "the other day", "this week"),
    "month": ("about a month ago", "a few weeks ago", "last month", "three weeks ago"),
    "old": ("a couple of months ago", "back in the autumn", "ages ago", "a while back"),
}
