# ruff: noqa: E501 - phrase banks read best one sentence a line
"""What customers write about when they do not want a refund: billing, account, technical, other.

Several are near misses on purpose (a billing ticket that says "refund", a technical ticket
about a device, a question about the return address), as real queues have them.
"""

from __future__ import annotations

TOPICS: dict[str, tuple[str, ...]] = {
    "billing": (
        "I was charged twice for the same order{ref}. Can you check my card statement?",
        "Can you send me a VAT invoice for my last purchase{ref}? I need it for my expenses.",
        "There's a charge from you on my statement that I don't recognise.",
        "How do I update the credit card on my account? The old one expired.",
        "My discount code didn't apply at checkout{ref}, I paid full price. Can you adjust the charge?",
        "Why was I charged in euros? I'm in the UK and expected pounds.",
        "The refund you issued last week{ref} still isn't showing on my bank statement. When will it arrive?",
        "I need a copy of the receipt for order{ref} for my company.",
        "You charged me shipping even though the order was over the free shipping limit{ref}.",
        "Can I pay for my order in instalments?",
        "My payment failed but the money left my account{ref}. What happened?",
        "The price dropped the day after I bought it{ref}. Do you do price matching?",
        "Please change the billing address on my invoices to my company address.",
        "I got an email saying my payment was declined, but my card works everywhere else.",
        "The invoice total{ref} doesn't match what I was charged - it's off by a few dollars.",
        "Can you tell me which card was used for my order{ref}? I have several.",
        "When exactly will my Plus membership be billed next month?",
        "I was billed for a monthly plan even though I chose annual.",
        "Do you accept PayPal? The checkout only shows cards.",
        "There's a pending authorisation on my card from an order I cancelled.",
    ),
    "account": (
        "I can't log in to my account. The password reset email never arrives.",
        "How do I change the email address on my account?",
        "My account is locked after too many login attempts. Please unlock it.",
        "I'd like to delete my account and all my data.",
        "I have two accounts by mistake, can you merge them?",
        "I lost my phone and can't get the two-factor code. How do I get back into my account?",
        "Someone changed the password on my account, I think I was hacked!",
        "How do I turn off the marketing emails? I've unsubscribed three times.",
        "Can I change my username?",
        "My account says my email is unverified but I clicked the link.",
        "Please update the phone number on my profile.",
        "I want to download a copy of all the data you have about me.",
        "The site keeps logging me out every few minutes.",
        "How do I add my partner to my Plus membership?",
        "I signed up with Google but now want to use a normal password.",
        "My loyalty points disappeared from my account.",
        "Can you remove my saved addresses from my account?",
        "I never created an account but I'm getting emails from you.",
    ),
    "technical": (
        "The app crashes every time I open my order history.",
        "My download link for the {product} says 'expired'. How do I get a new one?",
        "The licence key for the {product} says invalid when I enter it.",
        "Checkout gives me an error 500 when I click pay.",
        "How do I pair the {product} with my phone? The instructions aren't clear.",
        "The {product} won't connect to wifi. I've tried resetting it. Any tips?",
        "Your website doesn't load on Safari, just a blank page.",
        "The e-book won't open on my e-reader, it says unsupported format.",
        "I can't stream the course videos, they keep buffering.",
        "The firmware update bricked my {product}. How do I restore it?",
        "The search on your site returns nothing no matter what I type.",
        "How do I reset the {product} to factory settings?",
        "Push notifications from the app stopped working after the update.",
        "The battery on my {product} drains really fast since the update, is there a fix?",
        "I keep getting 'something went wrong' when I try to track my order.",
        "The cloud storage app says sync failed on every file.",
        "Where can I find the manual for the {product}?",
        "The game keeps crashing at the loading screen on my laptop.",
    ),
    "other": (
        "Do you ship to Iceland?",
        "What's your return address? I want to send something back.",
        "When will the {product} be back in stock?",
        "Is the {product} dishwasher safe?",
        "Can I change the delivery address on my order{ref}? It hasn't shipped yet.",
        "Do you have a physical store in Chicago?",
        "I just wanted to say the {product} is amazing. Thanks!",
        "Are you hiring? I'd love to work in your warehouse.",
        "Can I add a gift message to my order{ref}?",
        "How long does standard shipping take to Canada?",
        "Do you offer wholesale prices for businesses?",
        "Is the {product} available in other colours?",
        "Can you gift wrap my order{ref}?",
        "I'm a blogger and would love to collaborate with your brand.",
        "What are your customer service hours?",
        "Does the {product} come with a warranty?",
        "Can I pick up my order in person?",
        "Which carrier do you use for deliveries to Australia?",
    ),
}

#: Sentences that add colour to a ticket of each class (they never change its class).
COLOUR: dict[str, tuple[str, ...]] = {
    "billing": (
        "I've been a customer for years.",
        "I checked with my bank and they said to contact you.",
        "I need this sorted before the end of the month for my accounts.",
        "My accountant is asking for it.",
        "It's the card ending in the same digits as before.",
        "No rush, but I'd like to understand what happened.",
    ),
    "account": (
        "I've tried three times already.",
        "I'm on the mobile app, if that matters.",
        "I use the same email for everything.",
        "I've cleared my cookies and tried another browser.",
        "I have an order coming so I need access.",
        "This has been going on since last week.",
    ),
    "technical": (
        "I'm on an Android phone.",
        "I'm using a Windows laptop with the latest updates.",
        "I've already tried turning it off and on again.",
        "It worked fine until yesterday.",
        "I've attached a screenshot of the error.",
        "My friend has the same problem.",
    ),
    "other": (
        "Just curious.",
        "I couldn't find it in the FAQ.",
        "A friend recommended your store.",
        "I'm planning a big order for the holidays.",
        "Thanks for the quick shipping last time.",
        "No rush.",
    ),
}

#: A second, minor request tacked onto a ticket (multi-intent tickets), by class.
SECONDARY: dict[str, tuple[str, ...]] = {
    "refund": (
        "Also, while I have you - I'd like a refund for another order that arrived damaged.",
        "Oh and I may need to return something else later.",
    ),
    "billing": (
        "Also, can you send me an invoice for it?",
        "Separately, I think I was charged twice last month.",
        "And please update my billing address while you're at it.",
    ),
    "account": (
        "Also I can't log in to the app anymore, not sure why.",
        "And can you change the email on my account to my work one?",
        "PS: please unsubscribe me from the newsletter.",
    ),
    "technical": (
        "By the way your app keeps crashing on my phone.",
        "Also the tracking page gives me an error.",
    ),
    "other": (
        "Also, do you ship to Norway?",
        "And do you have this in stock in blue?",
        "Btw when does the summer sale start?",
    ),
}
