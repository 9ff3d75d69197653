"""English lexicon and grammar: past-tense narrative sentences."""

from __future__ import annotations

import numpy as np

from brainlike.simulate.grammar import Category, capitalize_first, chance, choose, frequency_table

ANIMATE = Category("""
man:5.8 woman:5.5 boy:5.3 girl:5.5 child:5.3 teacher:4.9 doctor:5.1 farmer:4.3 king:5.0
queen:4.8 soldier:4.6 sailor:4.0 friend:5.6 mother:5.5 father:5.5 sister:5.1 brother:5.2
neighbor:4.4 stranger:4.4 dog:5.2 cat:4.9 horse:4.8 bird:4.7 fox:4.5 wolf:4.3 driver:4.7
student:5.0 writer:4.6 painter:4.0 baker:3.8 fisherman:3.5 nurse:4.5 priest:4.3 thief:4.1
singer:4.5 musician:4.3 prince:4.5 princess:4.3 grandmother:4.4 grandfather:4.3 uncle:4.7
aunt:4.5 captain:4.7 guard:4.6 rabbit:4.1 mouse:4.4 lion:4.4 bear:4.6
""")
NAMES = Category("Anna:4.6 Tom:5.0 Maria:4.7 David:5.1 Sarah:4.9 Peter:4.9 Lucy:4.4 Jack:5.1 "
                 "Emma:4.5")
THING = Category("""
letter:5.0 book:5.4 key:5.0 box:4.9 door:5.4 window:5.0 bag:4.9 coat:4.5 hat:4.6 cup:4.8
bottle:4.7 knife:4.6 map:4.7 photograph:4.1 ring:4.9 stone:4.6 apple:4.5 bread:4.4 lamp:4.0
chair:4.7 table:5.0 phone:5.3 ticket:4.6 candle:4.0 clock:4.5 mirror:4.4 umbrella:3.9
basket:4.0 blanket:4.1 coin:4.2 flower:4.5 shoe:4.5 glass:4.9 newspaper:4.5 picture:5.1
envelope:3.9 painting:4.4 song:5.1 gift:4.7 boat:4.8 car:5.4 bicycle:4.0 note:5.0 jacket:4.4
scarf:3.7 pencil:3.9 notebook:3.9 suitcase:3.8 egg:4.5 orange:4.6 violin:3.8 rope:4.3
""")
PLACE = Category("""
river:4.9 house:5.5 forest:4.6 village:4.6 city:5.4 garden:4.7 kitchen:4.8 station:5.0
market:5.1 school:5.5 church:5.0 bridge:4.7 beach:4.8 hill:4.8 road:5.1 field:5.0 shop:4.9
library:4.6 hospital:5.1 harbor:4.0 island:4.9 mountain:4.7 lake:4.7 park:5.0 room:5.5
street:5.1 farm:4.7 office:5.3 castle:4.5 cave:4.2 tower:4.5 valley:4.4 square:4.8 museum:4.5
restaurant:4.8 hotel:4.9 desert:4.3 camp:4.8 cellar:3.6 attic:3.5 meadow:3.6 orchard:3.4
""")
ADJ_ANY = Category("""
old:5.7 young:5.3 small:5.5 big:5.6 tall:4.7 quiet:4.8 dark:5.1 bright:4.8 red:5.2 blue:5.1
green:5.1 white:5.4 black:5.4 cold:5.1 warm:4.8 heavy:4.8 strange:5.0 beautiful:5.3 little:5.9
long:5.7 new:6.0 golden:4.4 silent:4.3 tiny:4.6 huge:5.0 ancient:4.5 famous:4.8 secret:5.0
wooden:4.2 empty:4.8 broken:4.8 narrow:4.3 wet:4.6 strong:5.3 pale:4.3 grey:4.4 lovely:5.0
""")
ADJ_MIND = Category("""
tired:5.0 happy:5.5 sad:5.0 angry:4.8 careful:4.8 gentle:4.3 brave:4.5 clever:4.2 lonely:4.4
hungry:4.7 rich:5.0 poor:5.0 kind:5.4 curious:4.3 sleepy:3.8 worried:4.7 proud:4.9 nervous:4.6
friendly:4.6 calm:4.7 afraid:5.1 surprised:4.7 busy:5.1 patient:4.6 cheerful:3.7 wise:4.6
""")
ADV = Category("""
slowly:4.5 quietly:4.3 quickly:4.8 carefully:4.5 suddenly:4.8 softly:3.9 happily:4.2 sadly:4.3
gently:4.2 loudly:3.9 silently:3.6 patiently:3.6 nervously:3.4 calmly:3.7 again:5.9 alone:5.0
""")
TIME = Category("""
later:5.3 then:6.0 finally:5.3 suddenly:4.8 yesterday:5.2 afterwards:4.2 meanwhile:4.4
tonight:5.3 soon:5.5 eventually:4.8 once:5.5 today:5.6
""")
V_INTR = Category("""
walk/walked:5.0 sleep/slept:5.1 laugh/laughed:4.8 cry/cried:4.9 wait/waited:5.4 sing/sang:4.9
run/ran:5.4 smile/smiled:4.6 dance/danced:4.8 shout/shouted:4.3 fall/fell:5.2 stop/stopped:5.5
return/returned:4.9 leave/left:5.6 arrive/arrived:4.7 listen/listened:5.0 rest/rested:4.7
work/worked:5.6 swim/swam:4.4 dream/dreamed:4.5 whisper/whispered:4.0 sigh/sighed:3.8
disappear/disappeared:4.3 wake/woke:4.5 pray/prayed:4.3 travel/traveled:4.6 wander/wandered:4.1
tremble/trembled:3.5 hesitate/hesitated:3.9 breathe/breathed:4.3 shiver/shivered:3.4
""")
V_THING = Category("""
see/saw:6.0 find/found:5.6 take/took:5.8 open/opened:5.3 carry/carried:4.8 watch/watched:5.3
hold/held:5.2 close/closed:5.0 break/broke:5.2 paint/painted:4.5 buy/bought:5.1 sell/sold:4.9
lose/lost:5.4 keep/kept:5.6 bring/brought:5.4 wash/washed:4.5 clean/cleaned:4.8 fix/fixed:4.9
drop/dropped:4.8 touch/touched:4.9 hide/hid:4.6 steal/stole:4.6 borrow/borrowed:4.3
push/pushed:4.8 pull/pulled:4.8 want/wanted:6.1 need/needed:5.9 examine/examined:4.0
""")
V_PERSON = Category("""
follow/followed:5.0 help/helped:5.6 call/called:5.7 miss/missed:5.3 love/loved:5.9
visit/visited:4.8 remember/remembered:5.3 greet/greeted:3.8 thank/thanked:4.9 meet/met:5.5
kiss/kissed:4.9 answer/answered:4.8 warn/warned:4.6 watch/watched:5.3 find/found:5.6
""")
V_MOTION = Category("""
walk/walked:5.0 run/ran:5.4 go/went:6.3 come/came:6.0 drive/drove:5.0 hurry/hurried:4.3
climb/climbed:4.4 return/returned:4.9 move/moved:5.5 rush/rushed:4.4 ride/rode:4.7
""")
PREP_MOTION = Category("to:7.5 towards:4.7 into:6.0 through:5.7 across:5.2 along:5.3 around:5.9")
PREP_PLACE = Category("in:7.3 near:5.3 behind:5.1 beside:4.3 under:5.5 outside:5.2 inside:5.2 "
                      "by:6.6 at:7.0")
V_SAY = Category("""
say/said:6.3 think/thought:6.1 know/knew:6.3 believe/believed:5.5 hear/heard:5.6 feel/felt:5.8
realize/realized:5.1 hope/hoped:5.7 notice/noticed:4.8 explain/explained:5.0 decide/decided:5.2
""")
PRONOUN = Category("he:7.0 she:6.8 they:6.8 we:6.9 I:7.3 you:7.4")
POSSESSIVE = Category("his:6.7 her:6.7 their:6.5 my:6.9 our:6.3")
FUNCTION = {"the": 7.7, "a": 7.4, "an": 6.5, "that": 7.1, "this": 7.0, "and": 7.4, "but": 6.9,
            "so": 6.9, "because": 6.2, "when": 6.7, "while": 5.9, "before": 6.0, "after": 6.1,
            "although": 5.4, "if": 6.9, "who": 6.6, "why": 6.3, "where": 6.5, "what": 6.9,
            "did": 6.6, "was": 7.1, "were": 6.4, "not": 6.9}
FREQUENCY = frequency_table(
    (ANIMATE, NAMES, THING, PLACE, ADJ_ANY, ADJ_MIND, ADV, TIME, V_INTR, V_THING, V_PERSON,
     V_MOTION, PREP_MOTION, PREP_PLACE, V_SAY, PRONOUN, POSSESSIVE), FUNCTION)

_PLURAL_PRONOUNS = frozenset({"they", "we", "you"})


def _noun_phrase(rng: np.random.Generator, nouns: Category, animate: bool) -> list[str]:
    adj = []
    if chance(rng, 0.35):
        adj = [(ADJ_MIND if animate and chance(rng, 0.5) else ADJ_ANY).pick(rng).word]
    noun = nouns.pick(rng).word
    det = choose(rng, ("the", "a", "poss"), (0.55, 0.25, 0.2))
    if det == "poss":
        det = POSSESSIVE.pick(rng).word
    elif det == "a" and (adj or [noun])[0][0] in "aeiou":
        det = "an"
    return [det, *adj, noun]


def _subject(rng: np.random.Generator) -> list[str]:
    kind = choose(rng, ("np", "pronoun", "name"), (0.55, 0.3, 0.15))
    if kind == "pronoun":
        return [PRONOUN.pick(rng).word]
    if kind == "name":
        return [NAMES.pick(rng).word]
    return _noun_phrase(rng, ANIMATE, True)


def _be(subject: list[str]) -> str:
    return "were" if len(subject) == 1 and subject[0].lower() in _PLURAL_PRONOUNS else "was"


def _predicate(rng: np.random.Generator, subject: list[str], depth: int) -> list[str]:
    """A past-tense verb phrase for ``subject``; ``depth`` limits embedded clauses."""
    kind = choose(rng, ("intr", "thing", "person", "motion", "copula", "neg", "say"),
                  (0.2, 0.22, 0.12, 0.16, 0.1, 0.08, 0.12 if depth == 0 else 0.0))
    if kind == "intr":
        vp = [V_INTR.pick(rng).forms[1]]
        if chance(rng, 0.35):
            vp.append(ADV.pick(rng).word)
        if chance(rng, 0.3):
            vp += [PREP_PLACE.pick(rng).word, *_noun_phrase(rng, PLACE, False)]
        return vp
    if kind == "thing":
        vp = [V_THING.pick(rng).forms[1], *_noun_phrase(rng, THING, False)]
        if chance(rng, 0.25):
            vp += [PREP_PLACE.pick(rng).word, *_noun_phrase(rng, PLACE, False)]
        return vp
    if kind == "person":
        return [V_PERSON.pick(rng).forms[1], *_noun_phrase(rng, ANIMATE, True)]
    if kind == "motion":
        return [V_MOTION.pick(rng).forms[1], PREP_MOTION.pick(rng).word,
                *_noun_phrase(rng, PLACE, False)]
    if kind == "copula":
        return [_be(subject), (ADJ_MIND if chance(rng, 0.7) else ADJ_ANY).pick(rng).word]
    if kind == "neg":
        return ["did", "not", V_THING.pick(rng).word, *_noun_phrase(rng, THING, False)]
    return [V_SAY.pick(rng).forms[1], "that", *_clause(rng, depth + 1)]


def _clause(rng: np.random.Generator, depth: int = 0) -> list[str]:
    subject = _subject(rng)
    return [*subject, *_predicate(rng, subject, depth)]


def _question(rng: np.random.Generator) -> list[str]:
    kind = choose(rng, ("why", "where", "who", "did", "what"))
    if kind == "why":
        return ["why", "did", *_subject(rng), V_INTR.pick(rng).word, "?"]
    if kind == "where":
        thing = _noun_phrase(rng, THING, False)
        return ["where", "was", *thing, "?"]
    if kind == "who":
        return ["who", V_THING.pick(rng).forms[1], *_noun_phrase(rng, THING, False), "?"]
    if kind == "did":
        return ["did", *_subject(rng), V_PERSON.pick(rng).word,
                *_noun_phrase(rng, ANIMATE, True), "?"]
    return ["what", "did", *_subject(rng), V_SAY.pick(rng).word, "?"]


def generate(rng: np.random.Generator) -> list[str]:
    """One sentence as tokens, ending with a punctuation token ('.' or '?')."""
    kind = choose(rng, ("simple", "time", "coord", "sub_first", "sub_last", "relative", "question"),
                  (0.3, 0.12, 0.12, 0.13, 0.1, 0.08, 0.15))
    if kind == "simple":
        tokens = _clause(rng)
    elif kind == "time":
        tokens = [TIME.pick(rng).word, ",", *_clause(rng)]
    elif kind == "coord":
        tokens = [*_clause(rng), ",", choose(rng, ("and", "but", "so")), *_clause(rng, 1)]
    elif kind == "sub_first":
        conj = choose(rng, ("when", "because", "although", "after", "before", "while", "if"))
        tokens = [conj, *_clause(rng, 1), ",", *_clause(rng, 1)]
    elif kind == "sub_last":
        conj = choose(rng, ("when", "because", "although", "after", "before", "while"))
        tokens = [*_clause(rng, 1), conj, *_clause(rng, 1)]
    elif kind == "relative":
        head = _noun_phrase(rng, ANIMATE, True)
        tokens = [*head, "who", V_THING.pick(rng).forms[1], *_noun_phrase(rng, THING, False),
                  *_predicate(rng, head, 1)]
    else:
        return capitalize_first(_question(rng))
    return capitalize_first([*tokens, "."])
