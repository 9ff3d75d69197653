"""French lexicon and grammar: present-tense narrative sentences, third person singular.

Nouns carry their gender (``homme/m``); adjectives are post-nominal only (so that no
pre-nominal allomorphy such as *vieil* is needed) with masculine/feminine forms. Elision
(``l'homme``, ``qu'il``, ``n'ouvre``) yields a single token, as espeak-ng also reports one word.
"""

from __future__ import annotations

import numpy as np

from brainlike.simulate.grammar import Category, capitalize_first, chance, choose, frequency_table

ANIMATE = Category("""
homme/m:5.7 femme/f:5.7 garçon/m:5.1 fille/f:5.4 enfant/m:5.4 professeur/m:4.8 médecin/m:4.8
paysan/m:4.0 roi/m:5.0 reine/f:4.7 soldat/m:4.8 marin/m:4.2 ami/m:5.5 amie/f:4.9 mère/f:5.4
père/m:5.5 sœur/f:5.0 frère/m:5.2 voisin/m:4.5 voisine/f:4.1 étranger/m:4.6 chien/m:5.0
chat/m:4.8 cheval/m:4.8 oiseau/m:4.6 renard/m:4.1 loup/m:4.5 chauffeur/m:4.4 étudiant/m:4.6
écrivain/m:4.6 peintre/m:4.4 boulanger/m:3.7 pêcheur/m:3.8 infirmière/f:4.1 prêtre/m:4.5
voleur/m:4.3 chanteuse/f:4.1 musicien/m:4.2 prince/m:4.6 princesse/f:4.3 oncle/m:4.6
tante/f:4.5 capitaine/m:4.8 garde/m:4.5 lapin/m:4.2 souris/f:4.2 lion/m:4.4 ours/m:4.3
vieillard/m:4.0 fermière/f:3.5
""", word_forms=1)
NAMES = Category("Marie/f:4.9 Pierre/m:4.9 Sophie/f:4.5 Paul/m:4.9 Julie/f:4.4 Louis/m:4.7 "
                 "Claire/f:4.5 Antoine/m:4.4 Lucie/f:4.2", word_forms=1)
THING = Category("""
lettre/f:5.2 livre/m:5.3 clé/f:4.8 boîte/f:4.8 porte/f:5.3 fenêtre/f:4.9 sac/m:4.9
manteau/m:4.4 chapeau/m:4.5 tasse/f:4.2 bouteille/f:4.7 couteau/m:4.5 carte/f:5.1 photo/f:5.0
bague/f:4.3 pierre/f:4.7 pomme/f:4.4 pain/m:4.7 lampe/f:4.3 chaise/f:4.5 table/f:5.0
téléphone/m:5.1 billet/m:4.6 bougie/f:3.9 horloge/f:4.0 miroir/m:4.3 parapluie/m:3.9
panier/m:4.0 couverture/f:4.2 pièce/f:5.1 fleur/f:4.6 chaussure/f:4.3 verre/m:4.9
journal/m:5.0 tableau/m:4.8 enveloppe/f:4.0 chanson/f:5.0 cadeau/m:4.9 bateau/m:4.8
voiture/f:5.3 vélo/m:4.4 cahier/m:4.0 valise/f:4.3 orange/f:4.2 veste/f:4.3 crayon/m:4.0
violon/m:3.8 corde/f:4.3 image/f:4.8
""", word_forms=1)
PLACE = Category("""
rivière/f:4.7 maison/f:5.7 forêt/f:4.8 village/m:4.9 ville/f:5.4 jardin/m:4.8 cuisine/f:4.8
gare/f:4.8 marché/m:5.0 école/f:5.2 église/f:4.8 pont/m:4.7 plage/f:4.7 colline/f:4.2
route/f:5.1 champ/m:4.7 boutique/f:4.5 bibliothèque/f:4.4 hôpital/m:5.0 port/m:4.8 île/f:4.7
montagne/f:4.7 lac/m:4.5 parc/m:4.6 chambre/f:5.2 rue/f:5.3 ferme/f:4.5 bureau/m:5.2
château/m:4.9 grotte/f:3.9 tour/f:5.1 vallée/f:4.4 place/f:5.4 musée/m:4.6 restaurant/m:4.9
hôtel/m:5.0 désert/m:4.4 cave/f:4.2 prairie/f:3.7 verger/m:3.3
""", word_forms=1)
ADJ_ANY = Category("""
noir/noire:5.0 blanc/blanche:5.0 rouge:5.0 bleu/bleue:4.9 vert/verte:4.8 froid/froide:4.8
chaud/chaude:4.8 lourd/lourde:4.4 étrange:4.7 sombre:4.5 vide:4.8 cassé/cassée:4.2
ancien/ancienne:5.0 immense:4.6 minuscule:3.9 silencieux/silencieuse:4.0 doré/dorée:4.0
secret/secrète:4.8 célèbre:4.7 humide:4.0 brillant/brillante:4.3 tranquille:4.6
fermé/fermée:4.5 ouvert/ouverte:4.8 magnifique:4.9 rond/ronde:4.3 gris/grise:4.5
étroit/étroite:4.1 mouillé/mouillée:3.8 énorme:4.8
""")
ADJ_MIND = Category("""
fatigué/fatiguée:4.6 heureux/heureuse:5.2 triste:5.0 content/contente:5.0
courageux/courageuse:4.2 seul/seule:5.6 affamé/affamée:3.6 riche:4.9 pauvre:5.0
gentil/gentille:5.0 curieux/curieuse:4.4 inquiet/inquiète:4.4 fier/fière:4.6
nerveux/nerveuse:4.3 calme:4.8 surpris/surprise:4.6 furieux/furieuse:4.3 timide:4.1
prudent/prudente:4.2 sage:4.5 occupé/occupée:4.6 patient/patiente:4.2
""")
ADV = Category("""
lentement:4.3 doucement:4.5 rapidement:4.6 prudemment:3.5 soudain:4.6 tranquillement:4.1
joyeusement:3.2 tristement:3.3 encore:5.8 silencieusement:3.3 longtemps:5.2 souvent:5.4
toujours:6.0 déjà:5.8 beaucoup:5.9 calmement:3.7
""")
TIME = Category("""
ensuite:5.0 puis:5.3 soudain:4.6 enfin:5.4 hier:5.1 alors:5.9 maintenant:5.7 bientôt:4.9
parfois:5.1 finalement:4.9 demain:5.3
""")
V_INTR = Category("""
marche:4.8 dort:4.8 rit:4.2 pleure:4.3 attend:5.2 chante:4.5 court:4.6 sourit:4.1 danse:4.5
crie:4.3 tombe:4.7 revient:4.8 part:5.5 arrive:5.3 écoute:5.0 travaille:5.0 nage:3.9 rêve:4.5
murmure:3.9 soupire:3.4 disparaît:4.3 tremble:4.0 voyage:4.4 hésite:4.1 respire:4.2
s'arrête:4.3 s'endort:3.5 réfléchit:4.2
""")
V_THING = Category("""
voit:5.4 trouve:5.5 prend:5.6 ouvre:5.0 porte:5.0 regarde:5.4 tient:5.1 ferme:4.8 casse:4.2
peint:3.7 écrit:5.1 achète:4.6 vend:4.6 perd:4.9 garde:5.0 apporte:4.6 montre:5.0 lave:4.1
nettoie:4.0 répare:4.2 cache:4.5 touche:4.6 cherche:5.2 vole:4.5 emprunte:3.8 pousse:4.5
tire:4.6 dessine:4.1 veut:5.9 examine:4.1
""")
V_PERSON = Category("""
suit:4.8 aide:5.0 appelle:5.2 aime:5.7 salue:4.0 remercie:4.4 rencontre:4.9 embrasse:4.5
attend:5.2 écoute:5.0 réveille:4.0 cherche:5.2 voit:5.4 trouve:5.5 regarde:5.4
""")
V_MOTION = Category("""
marche:4.8 court:4.6 va:6.2 entre:5.2 arrive:5.3 revient:4.8 monte:4.8 descend:4.6
rentre:4.9 retourne:4.7 avance:4.6
""")
PREP_MOTION = Category("vers:5.9 dans:6.5 à:7.2 devant:5.4 derrière:5.1")
PREP_PLACE = Category("dans:6.5 devant:5.4 derrière:5.1 sous:5.3 à:7.2 près:5.3")
V_SAY = Category("""
dit:6.0 pense:5.5 sait:5.8 croit:5.3 sent:4.9 espère:4.9 remarque:4.2 explique:4.7
comprend:5.2 raconte:4.6 découvre:4.6
""")
FUNCTION = {"le": 7.5, "la": 7.4, "un": 7.0, "une": 6.9, "son": 6.6, "sa": 6.5, "il": 7.1,
            "elle": 6.9, "on": 6.8, "et": 7.4, "mais": 6.6, "que": 7.0, "qui": 6.8,
            "quand": 6.2, "parce": 5.6, "si": 6.7, "pendant": 5.8, "pourquoi": 5.8, "où": 6.3,
            "est": 7.2, "ne": 6.8, "pas": 6.9, "de": 7.6, "au": 6.9, "du": 7.0, "plus": 6.4,
            "tard": 5.3, "ce": 6.8, "matin": 5.2, "soir": 5.3}
FREQUENCY = frequency_table(
    (ANIMATE, NAMES, THING, PLACE, ADJ_ANY, ADJ_MIND, ADV, TIME, V_INTR, V_THING, V_PERSON,
     V_MOTION, PREP_MOTION, PREP_PLACE, V_SAY), FUNCTION)

_VOWELS = "aeiouyàâéèêëîïôûùœhAEIOUYÀÂÉÈÊËÎÏÔÛÙŒH"  # every h-word in the lexicon is h muet
_ELIDE = {"le": "l'", "la": "l'", "de": "d'", "que": "qu'", "ne": "n'"}
_CONTRACT = {("à", "le"): "au", ("de", "le"): "du"}


def _adj(entry_forms: tuple[str, ...], gender: str) -> str:
    return entry_forms[1] if gender == "f" and len(entry_forms) > 1 else entry_forms[0]


def _noun_phrase(rng: np.random.Generator, nouns: Category, animate: bool) -> tuple[list[str], str]:
    noun, gender = nouns.pick(rng).forms
    det = choose(rng, ("def", "indef", "poss"), (0.55, 0.28, 0.17))
    det = {"def": ("le", "la"), "indef": ("un", "une"), "poss": ("son", "sa")}[det][gender == "f"]
    if det == "sa" and noun[0] in _VOWELS:
        det = "son"  # "son amie", not "sa amie"
    tokens = [det, noun]
    if chance(rng, 0.35):
        tokens.append(_adj((ADJ_MIND if animate and chance(rng, 0.5) else ADJ_ANY).pick(rng).forms,
                           gender))
    return tokens, gender


def _subject(rng: np.random.Generator) -> tuple[list[str], str]:
    kind = choose(rng, ("np", "pronoun", "name"), (0.55, 0.3, 0.15))
    if kind == "pronoun":
        word = choose(rng, ("il", "elle", "on"), (0.45, 0.4, 0.15))
        return [word], "f" if word == "elle" else "m"
    if kind == "name":
        name, gender = NAMES.pick(rng).forms
        return [name], gender
    return _noun_phrase(rng, ANIMATE, True)


def _place_phrase(rng: np.random.Generator, prep: str) -> list[str]:
    np_tokens, _ = _noun_phrase(rng, PLACE, False)
    return ["près", "de", *np_tokens] if prep == "près" else [prep, *np_tokens]


def _predicate(rng: np.random.Generator, gender: str, depth: int) -> list[str]:
    kind = choose(rng, ("intr", "thing", "person", "motion", "copula", "neg", "say"),
                  (0.2, 0.22, 0.12, 0.16, 0.1, 0.08, 0.12 if depth == 0 else 0.0))
    if kind == "intr":
        vp = [V_INTR.pick(rng).word]
        if chance(rng, 0.35):
            vp.append(ADV.pick(rng).word)
        if chance(rng, 0.3):
            vp += _place_phrase(rng, PREP_PLACE.pick(rng).word)
        return vp
    if kind == "thing":
        vp = [V_THING.pick(rng).word, *_noun_phrase(rng, THING, False)[0]]
        if chance(rng, 0.25):
            vp += _place_phrase(rng, PREP_PLACE.pick(rng).word)
        return vp
    if kind == "person":
        return [V_PERSON.pick(rng).word, *_noun_phrase(rng, ANIMATE, True)[0]]
    if kind == "motion":
        return [V_MOTION.pick(rng).word, *_place_phrase(rng, PREP_MOTION.pick(rng).word)]
    if kind == "copula":
        return ["est", _adj((ADJ_MIND if chance(rng, 0.7) else ADJ_ANY).pick(rng).forms, gender)]
    if kind == "neg":
        return ["ne", V_THING.pick(rng).word, "pas", *_noun_phrase(rng, THING, False)[0]]
    return [V_SAY.pick(rng).word, "que", *_clause(rng, depth + 1)]


def _clause(rng: np.random.Generator, depth: int = 0) -> list[str]:
    subject, gender = _subject(rng)
    return [*subject, *_predicate(rng, gender, depth)]


def _question(rng: np.random.Generator) -> list[str]:
    kind = choose(rng, ("pourquoi", "où", "qui", "intonation", "que"))
    if kind == "pourquoi":
        return ["pourquoi", *_subject(rng)[0], V_INTR.pick(rng).word, "?"]
    if kind == "où":
        return ["où", "est", *_noun_phrase(rng, THING, False)[0], "?"]
    if kind == "qui":
        return ["qui", V_THING.pick(rng).word, *_noun_phrase(rng, THING, False)[0], "?"]
    if kind == "intonation":
        return [*_subject(rng)[0], V_PERSON.pick(rng).word,
                *_noun_phrase(rng, ANIMATE, True)[0], "?"]
    return ["que", V_SAY.pick(rng).word, *_noun_phrase(rng, ANIMATE, True)[0], "?"]


def _elide(tokens: list[str]) -> list[str]:
    """Applies elision (le homme -> l'homme) then contraction (à le -> au)."""
    out: list[str] = []
    for token in tokens:
        prev = out[-1] if out else None
        if prev in _ELIDE and token[0] in _VOWELS:
            out[-1] = _ELIDE[prev] + token
        elif prev == "si" and token == "il":
            out[-1] = "s'il"
        elif (prev, token) in _CONTRACT:
            out[-1] = _CONTRACT[(prev, token)]
        else:
            out.append(token)
    return out


def generate(rng: np.random.Generator) -> list[str]:
    """One sentence as tokens, ending with a punctuation token ('.' or '?')."""
    kind = choose(rng, ("simple", "time", "coord", "sub_first", "sub_last", "relative", "question"),
                  (0.3, 0.12, 0.12, 0.13, 0.1, 0.08, 0.15))
    if kind == "simple":
        tokens = _clause(rng)
    elif kind == "time":
        when = choose(rng, ("word", "plus tard", "ce matin", "le soir"), (0.7, 0.1, 0.1, 0.1))
        tokens = [*(when.split() if when != "word" else [TIME.pick(rng).word]), ",", *_clause(rng)]
    elif kind == "coord":
        conj = choose(rng, ("et", "mais", "alors", "puis"))
        tokens = [*_clause(rng), ",", conj, *_clause(rng, 1)]
    elif kind == "sub_first":
        conj = choose(rng, ("quand", "parce que", "pendant que", "si"))
        tokens = [*conj.split(), *_clause(rng, 1), ",", *_clause(rng, 1)]
    elif kind == "sub_last":
        conj = choose(rng, ("quand", "parce que", "pendant que", "mais"))
        tokens = [*_clause(rng, 1), *conj.split(), *_clause(rng, 1)]
    elif kind == "relative":
        head, gender = _noun_phrase(rng, ANIMATE, True)
        tokens = [*head, "qui", V_INTR.pick(rng).word, *_predicate(rng, gender, 1)]
    else:
        return capitalize_first(_elide(_question(rng)))
    return capitalize_first(_elide([*tokens, "."]))
