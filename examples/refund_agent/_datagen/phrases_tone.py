# ruff: noqa: E501 - phrase banks read best one sentence a line
"""Greetings, closings, tones and other languages' politeness formulas."""

from __future__ import annotations

GREETINGS: dict[str, tuple[str, ...]] = {
    "polite": ("Hi there,", "Hello,", "Good morning,", "Dear support team,", "Hi,", "Hey team,"),
    "neutral": ("Hi.", "Hello.", "", "", "Support -"),
    "terse": ("", "", ""),
    "angry": ("", "Seriously?", "This is ridiculous.", "Unbelievable.", "I am FURIOUS."),
    "anxious": (
        "Hi, sorry to bother you,",
        "Hello, I hope you can help,",
        "Hi, I'm a bit worried -",
    ),
    "formal": ("Dear Sir or Madam,", "To whom it may concern,", "Dear Customer Service,"),
}

CLOSINGS: dict[str, tuple[str, ...]] = {
    "polite": (
        "Thanks so much!",
        "Thank you!",
        "Thanks in advance.",
        "Cheers,",
        "Many thanks,",
        "Best,",
    ),
    "neutral": ("Thanks.", "", "Regards,", ""),
    "terse": ("", "", "thx"),
    "angry": (
        "Fix this NOW.",
        "I expect a response today.",
        "Worst service ever.",
        "If this isn't sorted I'm disputing the charge with my bank.",
        "I'll be leaving a review about this.",
        "Don't send me another useless template reply.",
        "I will never order from you again.",
    ),
    "anxious": (
        "Please let me know what to do.",
        "Thank you, I really appreciate it.",
        "Sorry again!",
    ),
    "formal": ("Yours faithfully,", "Kind regards,", "Sincerely,", "Respectfully,"),
}

ANGRY_INSERTS: tuple[str, ...] = (
    "This is the third time I'm asking.",
    "Your company is a joke.",
    "I've been waiting forever and nobody answers.",
    "Absolutely unacceptable.",
    "I want a real person, not a bot.",
    "Do you people even read these?",
    "I'm done being patient.",
)

#: Greetings and closings in other languages (the rest of the ticket is in English).
FOREIGN_POLITENESS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fr": (
        ("Bonjour,", "Bonjour madame, monsieur,"),
        ("Merci beaucoup,", "Cordialement,", "Bien à vous,"),
    ),
    "es": (("Hola,", "Buenos días,"), ("Muchas gracias,", "Saludos,", "Un saludo,")),
    "de": (
        ("Guten Tag,", "Hallo,", "Sehr geehrte Damen und Herren,"),
        ("Vielen Dank,", "Mit freundlichen Grüßen,", "Danke schön,"),
    ),
    "it": (("Buongiorno,", "Salve,"), ("Grazie mille,", "Cordiali saluti,")),
    "pt": (("Olá,", "Bom dia,"), ("Obrigado,", "Obrigada,", "Atenciosamente,")),
    "nl": (("Goedendag,", "Hallo,"), ("Met vriendelijke groet,", "Alvast bedankt,")),
    "ja": (("Konnichiwa,",), ("Yoroshiku onegaishimasu.", "Arigatou gozaimasu.")),
}

#: Whole tickets in other languages, by language and class (slot {ref} as in English).
FOREIGN_TICKETS: dict[str, dict[str, tuple[str, ...]]] = {
    "fr": {
        "refund": (
            "Bonjour, le produit est arrivé cassé{ref}. Je voudrais être remboursé s'il vous plaît.",
            "Je souhaite retourner ma commande{ref} et obtenir un remboursement. Merci.",
            "Ma commande{ref} n'est jamais arrivée, je demande le remboursement.",
        ),
        "billing": (
            "J'ai été débité deux fois pour la même commande{ref}. Pouvez-vous vérifier ?",
        ),
        "account": (
            "Je n'arrive plus à me connecter à mon compte, le mot de passe ne marche pas.",
        ),
        "technical": ("L'application plante à chaque ouverture depuis la mise à jour.",),
    },
    "es": {
        "refund": (
            "Hola, el producto llegó roto{ref}. Quiero un reembolso, por favor.",
            "Quiero devolver mi pedido{ref} y que me devuelvan el dinero.",
            "Mi pedido{ref} nunca llegó. Solicito el reembolso.",
        ),
        "billing": ("Me cobraron dos veces el mismo pedido{ref}. ¿Pueden revisarlo?",),
        "account": (
            "No puedo entrar en mi cuenta, no me llega el correo para cambiar la contraseña.",
        ),
        "technical": ("La aplicación se cierra sola cada vez que la abro.",),
    },
    "de": {
        "refund": (
            "Hallo, die Ware ist kaputt angekommen{ref}. Ich möchte eine Rückerstattung.",
            "Ich möchte meine Bestellung{ref} zurückgeben und mein Geld zurück.",
            "Meine Bestellung{ref} ist nie angekommen. Bitte erstatten Sie den Betrag.",
        ),
        "billing": ("Sie haben mir die Bestellung{ref} zweimal abgebucht. Bitte prüfen.",),
        "account": ("Ich kann mich nicht mehr in mein Konto einloggen.",),
        "technical": ("Die App stürzt seit dem Update bei jedem Start ab.",),
    },
}

#: Reasons the foreign refund templates above express, in order.
FOREIGN_REFUND_REASONS: tuple[str, ...] = ("damaged", "change_of_mind", "not_received")
