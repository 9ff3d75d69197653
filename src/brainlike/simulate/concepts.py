"""A concept inventory shared by the three simulated languages, and a vector for each concept.

Translation equivalents (en ``dog``, fr ``chien``, zh ``小狗``) name one concept and so carry one
semantic vector: the planted "high language" response of a listener depends on what a word
means, not on its form. The alignment is the explicit table below, one row per concept::

    CONCEPT  en-forms  fr-forms  zh-forms

with forms separated by ``/`` and ``-`` where a grammar has no counterpart (that word is then
its own concept in the other languages). All inflections of a word (en ``walk/walked``, fr
``noir/noire``) and near-synonyms within one language (zh ``姐姐/妹妹``, older/younger sister)
share the row. A word form may appear once per language, so the few homographs of the grammars
take their noun sense: fr ``porte`` (door; also "carries"), ``ferme`` (farm; "closes"),
``garde`` (guard; "keeps") and zh ``画`` (painting; "draws").

Mandarin determiners (numeral or demonstrative + measure word, ``一本``, ``那只``) are derived
from ``lang_zh.CLASSIFIERS`` rather than listed.

A concept vector is its category's prototype plus an item-specific deviation, normalised to
unit length. The prototypes are orthonormal, so that words of one category are clearly more
alike than words of different categories whatever the hashes draw; everything is seeded from
SHA-256 of the names.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import pandas as pd

from brainlike.simulate.driver_frames import _seeded_rng
from brainlike.simulate.lang_zh import CLASSIFIERS
from brainlike.simulate.languages import LANGUAGES

N_CONCEPT_DIMS = 12
#: Semantic categories, in the order their prototypes are orthogonalised.
CATEGORIES = ("animate", "name", "thing", "place", "property", "mental", "action", "motion",
              "speech", "time", "manner", "function")
#: Size of the item-specific deviation relative to the (unit) category prototype.
ITEM_SPREAD = 0.8
_NONE = "-"

_TABLE: dict[str, str] = {
    "animate": """
MAN man homme 男人
WOMAN woman femme 女人
BOY boy garçon 男孩
GIRL girl fille 女孩
CHILD child enfant 孩子
TEACHER teacher professeur 老师
DOCTOR doctor médecin 医生
FARMER farmer paysan/fermière 农民
KING king roi 国王
QUEEN queen reine -
SOLDIER soldier soldat 士兵
SAILOR sailor marin 水手
FRIEND friend ami/amie 朋友
MOTHER mother mère 妈妈
FATHER father père 爸爸
SISTER sister sœur 姐姐/妹妹
BROTHER brother frère 哥哥/弟弟
NEIGHBOR neighbor voisin/voisine 邻居
STRANGER stranger étranger 陌生人
DOG dog chien 小狗
CAT cat chat 小猫
HORSE horse cheval 马
BIRD bird oiseau 小鸟
FOX fox renard 狐狸
WOLF wolf loup 狼
DRIVER driver chauffeur 司机
STUDENT student étudiant 学生
WRITER writer écrivain 作家
PAINTER painter peintre 画家
BAKER baker boulanger -
FISHERMAN fisherman pêcheur 渔夫
NURSE nurse infirmière 护士
PRIEST priest prêtre -
THIEF thief voleur 小偷
SINGER singer chanteuse 歌手
MUSICIAN musician musicien -
PRINCE prince prince 王子
PRINCESS princess princesse 公主
GRANDMOTHER grandmother - 奶奶
GRANDFATHER grandfather - 爷爷
UNCLE uncle oncle 叔叔
AUNT aunt tante 阿姨
CAPTAIN captain capitaine 船长
GUARD guard garde -
RABBIT rabbit lapin 兔子
MOUSE mouse souris 老鼠
LION lion lion 狮子
BEAR bear ours -
OLD_MAN - vieillard 老人
POLICEMAN - - 警察
COOK - - 厨师
""",
    "name": """
ANNA Anna - -
TOM Tom - -
MARIA Maria Marie -
DAVID David - 大卫
SARAH Sarah - -
PETER Peter Pierre -
LUCY Lucy Lucie -
JACK Jack - -
EMMA Emma - -
SOPHIE - Sophie -
PAUL - Paul -
JULIE - Julie -
LOUIS - Louis -
CLAIRE - Claire -
ANTOINE - Antoine -
XIAOMING - - 小明
XIAOHONG - - 小红
TEACHER_LI - - 李老师
GRANDMA_WANG - - 王奶奶
DOCTOR_ZHANG - - 张医生
XIAOWANG - - 小王
LILI - - 丽丽
""",
    "thing": """
LETTER letter lettre 信
BOOK book livre 书
KEY key clé 钥匙
BOX box boîte 盒子
DOOR door porte 门
WINDOW window fenêtre 窗户
BAG bag sac 包
COAT coat manteau 外套
HAT hat chapeau 帽子
CUP cup tasse 杯子
BOTTLE bottle bouteille 瓶子
KNIFE knife couteau 刀
MAP map carte 地图
PHOTOGRAPH photograph photo 照片
RING ring bague 戒指
STONE stone pierre 石头
APPLE apple pomme 苹果
BREAD bread pain 面包
LAMP lamp lampe 灯
CHAIR chair chaise 椅子
TABLE table table 桌子
PHONE phone téléphone 手机
TICKET ticket billet 车票
CANDLE candle bougie 蜡烛
CLOCK clock horloge 钟
MIRROR mirror miroir 镜子
UMBRELLA umbrella parapluie 雨伞
BASKET basket panier 篮子
BLANKET blanket couverture 毯子
COIN coin pièce 硬币
FLOWER flower fleur 花
SHOE shoe chaussure 鞋子
GLASS glass verre -
NEWSPAPER newspaper journal 报纸
PICTURE picture image -
ENVELOPE envelope enveloppe -
PAINTING painting tableau 画
SONG song chanson 歌
GIFT gift cadeau 礼物
BOAT boat bateau 船
CAR car voiture 汽车
BICYCLE bicycle vélo 自行车
NOTE note - -
JACKET jacket veste -
SCARF scarf - 围巾
PENCIL pencil crayon 铅笔
NOTEBOOK notebook cahier 笔记本
SUITCASE suitcase valise 箱子
EGG egg - 鸡蛋
ORANGE orange orange 橘子
VIOLIN violin violon 小提琴
ROPE rope corde 绳子
CLOTHES - - 衣服
""",
    "place": """
RIVER river rivière 河边
HOUSE house maison 家里
FOREST forest forêt 森林里
VILLAGE village village 村子里
CITY city ville 城里
GARDEN garden jardin 花园里
KITCHEN kitchen cuisine 厨房里
STATION station gare 车站
MARKET market marché 市场
SCHOOL school école 学校
CHURCH church église 教堂
BRIDGE bridge pont 桥上
BEACH beach plage 海边
HILL hill colline -
ROAD road route 路上
FIELD field champ 田里
SHOP shop boutique 商店
LIBRARY library bibliothèque 图书馆
HOSPITAL hospital hôpital 医院
HARBOR harbor port 港口
ISLAND island île 岛上
MOUNTAIN mountain montagne 山上
LAKE lake lac 湖边
PARK park parc 公园
ROOM room chambre 房间里
STREET street rue 街上
FARM farm ferme 农场
OFFICE office bureau 办公室
CASTLE castle château 城堡
CAVE cave grotte 山洞里
TOWER tower tour 塔上
VALLEY valley vallée 山谷
SQUARE square place 广场
MUSEUM museum musée 博物馆
RESTAURANT restaurant restaurant 餐厅
HOTEL hotel hôtel 旅馆
DESERT desert désert 沙漠
CAMP camp - 营地
CELLAR cellar cave -
ATTIC attic - -
MEADOW meadow prairie -
ORCHARD orchard verger -
""",
    "property": """
OLD old - 旧
YOUNG young - 年轻
ANCIENT ancient ancien/ancienne 古老
SMALL small - -
LITTLE little - 小小
TINY tiny minuscule -
BIG big - -
HUGE huge immense/énorme 巨大
TALL tall - -
QUIET quiet tranquille 安静
DARK dark sombre 黑暗
BRIGHT bright brillant/brillante 明亮
RED red rouge 红色
BLUE blue bleu/bleue 蓝色
GREEN green vert/verte 绿色
WHITE white blanc/blanche 白色
BLACK black noir/noire 黑色
GREY grey gris/grise 灰色
GOLDEN golden doré/dorée 金色
COLD cold froid/froide 寒冷
WARM warm chaud/chaude 温暖
HEAVY heavy lourd/lourde 沉重
STRANGE strange étrange 奇怪
BEAUTIFUL beautiful magnifique 美丽
LOVELY lovely - 漂亮
LONG long - -
NEW new - 新
SILENT silent silencieux/silencieuse -
FAMOUS famous célèbre 著名
SECRET secret secret/secrète -
MYSTERIOUS - - 神秘
WOODEN wooden - -
EMPTY empty vide 空
BROKEN broken cassé/cassée -
WORN - - 破旧
NARROW narrow étroit/étroite -
WET wet mouillé/mouillée/humide 湿
STRONG strong - -
PALE pale - -
CLOSED - fermé/fermée -
OPEN_ADJ - ouvert/ouverte -
ROUND - rond/ronde -
CLEAN_ADJ - - 干净
IMPORTANT - - 重要
ORDINARY - - 普通
""",
    "mental": """
TIRED tired fatigué/fatiguée 疲惫/累
HAPPY happy heureux/heureuse/content/contente 快乐/高兴
CHEERFUL cheerful - -
SAD sad triste 伤心/难过
ANGRY angry furieux/furieuse 生气
CAREFUL careful prudent/prudente -
GENTLE gentle - -
BRAVE brave courageux/courageuse 勇敢
CLEVER clever - 聪明
LONELY lonely seul/seule 孤独
HUNGRY hungry affamé/affamée 饥饿
RICH rich riche 富有
POOR poor pauvre 可怜
KIND kind gentil/gentille 善良
CURIOUS curious curieux/curieuse 好奇
SLEEPY sleepy - -
WORRIED worried inquiet/inquiète -
PROUD proud fier/fière 骄傲
NERVOUS nervous nerveux/nerveuse 紧张
FRIENDLY friendly - -
CALM calm calme -
AFRAID afraid - 害怕
SURPRISED surprised surpris/surprise -
BUSY busy occupé/occupée -
PATIENT patient patient/patiente -
WISE wise sage -
SHY - timide -
CUTE - - 可爱
""",
    "action": """
SLEEP sleep/slept dort 睡觉
FALL_ASLEEP - s'endort -
LAUGH laugh/laughed rit 笑
CRY cry/cried pleure 哭
WAIT wait/waited attend 等待/等
SING sing/sang chante 唱歌
SMILE smile/smiled sourit 微笑
DANCE dance/danced danse 跳舞
SHOUT shout/shouted crie 大叫
FALL fall/fell tombe -
STOP stop/stopped s'arrête -
LISTEN listen/listened écoute -
REST rest/rested - 休息
WORK work/worked travaille 工作
DREAM dream/dreamed rêve 做梦
WHISPER whisper/whispered murmure -
SIGH sigh/sighed soupire 叹气
DISAPPEAR disappear/disappeared disparaît 消失
WAKE wake/woke réveille 醒来
PRAY pray/prayed - 祈祷
TREMBLE tremble/trembled tremble 发抖
SHIVER shiver/shivered - -
HESITATE hesitate/hesitated hésite -
BREATHE breathe/breathed respire -
SIT_DOWN - - 坐下
STAND_UP - - 站起来
NOD - - 点头
SEE see/saw voit 看见
FIND find/found trouve 找到
TAKE take/took prend 拿走
PICK_UP - - 拿起/捡起
OPEN open/opened ouvre 打开
CARRY carry/carried - 带着
WATCH watch/watched regarde -
HOLD hold/held tient -
CLOSE close/closed - 关上
BREAK break/broke casse 打破
PAINT paint/painted peint -
DRAW - dessine -
BUY buy/bought achète 买
SELL sell/sold vend 卖
LOSE lose/lost perd 丢
KEEP keep/kept - -
BRING bring/brought apporte -
WASH wash/washed lave 洗
CLEAN clean/cleaned nettoie -
FIX fix/fixed répare 修好
DROP drop/dropped - 放下
TOUCH touch/touched touche 摸
HIDE hide/hid cache -
STEAL steal/stole vole 偷走
BORROW borrow/borrowed emprunte 借
PUSH push/pushed pousse 推
PULL pull/pulled tire 拉
WANT want/wanted veut -
NEED need/needed - 需要
EXAMINE examine/examined examine 检查
WRITE - écrit 写
READ - - 读
SHOW - montre -
SEARCH - cherche 寻找
LIKE - - 喜欢
REMEMBER remember/remembered - 记得
FORGET - - 忘记
RECEIVE - - 收到
FOLLOW follow/followed suit 跟着
HELP help/helped aide 帮助
CALL call/called appelle 叫
MISS miss/missed - 想念
LOVE love/loved aime 爱
VISIT visit/visited - 拜访
GREET greet/greeted salue -
THANK thank/thanked remercie 感谢
MEET meet/met rencontre 遇见
KISS kiss/kissed embrasse 拥抱
ANSWER answer/answered - -
WARN warn/warned - 提醒
""",
    "motion": """
WALK walk/walked marche 散步/走到
RUN run/ran court 跑步/跑到/跑进
GO go/went va -
COME come/came - 来到
ARRIVE arrive/arrived arrive -
LEAVE leave/left part 离开/出发
RETURN return/returned revient/retourne/rentre 回来/回到
ENTER - entre 走进
DRIVE drive/drove - -
HURRY hurry/hurried - -
CLIMB climb/climbed monte 爬上
DESCEND - descend -
MOVE move/moved avance 搬到
RUSH rush/rushed - 冲进
RIDE ride/rode - -
SWIM swim/swam nage 游泳/游到
TRAVEL travel/traveled voyage 旅行
WANDER wander/wandered - -
""",
    "speech": """
SAY say/said dit 说
TALK - - 说话
TELL - raconte -
EXPLAIN explain/explained explique -
THINK think/thought pense 认为/想
REFLECT - réfléchit 思考
FEEL feel/felt sent 觉得
KNOW know/knew sait 知道
UNDERSTAND - comprend 明白
BELIEVE believe/believed croit 相信
HEAR hear/heard - 听说
REALIZE realize/realized - -
DISCOVER - découvre 发现
HOPE hope/hoped espère 希望
WORRY - - 担心
NOTICE notice/noticed remarque -
DECIDE decide/decided - -
""",
    "time": """
LATER later tard 后来
AFTERWARDS afterwards - -
THEN then ensuite/puis 然后
FINALLY finally enfin/finalement 终于/最后
EVENTUALLY eventually - -
SUDDENLY suddenly soudain 突然
YESTERDAY yesterday hier 昨天
TODAY today - 今天
TOMORROW - demain -
NEXT_DAY - - 第二天
TONIGHT tonight - -
THAT_NIGHT - - 那天晚上
MORNING - matin 早上
EVENING - soir 晚上
NOW - maintenant 这时
MEANWHILE meanwhile - -
SOON soon bientôt -
ONCE once - 有一天
SOMETIMES - parfois -
""",
    "manner": """
SLOWLY slowly lentement 慢慢地
QUICKLY quickly rapidement 很快
QUIETLY quietly tranquillement 悄悄地
SILENTLY silently silencieusement 静静地
SOFTLY softly doucement 轻轻地
GENTLY gently - -
LOUDLY loudly - -
CAREFULLY carefully prudemment 小心地
HAPPILY happily joyeusement 高兴地
SADLY sadly tristement -
CALMLY calmly calmement -
PATIENTLY patiently - -
NERVOUSLY nervously - -
AGAIN again encore 又
ALONE alone - -
ALREADY - déjà 已经
ALWAYS - toujours 一直
OFTEN - souvent 常常
LONG_TIME - longtemps -
A_LOT - beaucoup -
IMMEDIATELY - - 马上
STILL - - 仍然
ALSO - - 也
""",
    "function": """
THE the le/la -
A a/an un/une -
THIS this ce -
THAT_DEM - - -
THAT that que -
OF - de/du 的
HE he il 他
SHE she elle 她
ONE - on -
THEY they - 他们
WE we - 我们
I I - 我
YOU you - 你
HIS_HER his/her son/sa -
THEIR their - -
MY my - -
OUR our - -
TO to à/au -
TOWARDS towards vers -
INTO into - -
THROUGH through - -
ACROSS across - -
ALONG along - -
AROUND around - -
IN in dans 在
AT at - -
NEAR near près -
BEHIND behind derrière -
IN_FRONT - devant -
BESIDE beside - -
UNDER under sous -
OUTSIDE outside - -
INSIDE inside - -
BY by - -
AND and et 和
BUT but mais 但是
SO so alors 所以/于是
BECAUSE because parce 因为
WHEN when quand 当/时候
WHILE while pendant -
BEFORE before - -
AFTER after - -
ALTHOUGH although - 虽然
IF if si 如果
WHO who qui 谁
WHY why pourquoi 为什么
WHERE where où 哪里
WHAT what - 什么
DO did - -
BE was/were est -
VERY - - 很
MORE - plus -
NOT not ne/pas 没有
PERFECTIVE - - 了
QUESTION - - 吗
""",
}
#: Mandarin determiners: this prefix + any measure word of ``lang_zh.CLASSIFIERS``.
_ZH_DETERMINERS = {"一": "A", "这": "THIS", "那": "THAT_DEM"}


@functools.cache
def _inventory() -> tuple[dict[str, str], dict[str, dict[str, list[str]]]]:
    """(concept -> category, concept -> language -> its words), in table order."""
    category: dict[str, str] = {}
    words: dict[str, dict[str, list[str]]] = {}
    for cat, block in _TABLE.items():
        for line in block.strip().splitlines():
            fields = line.split()
            if len(fields) != 1 + len(LANGUAGES):
                raise ValueError(f"concept table line {line!r} needs {1 + len(LANGUAGES)} fields")
            concept = fields[0]
            if concept in category:
                raise ValueError(f"concept {concept!r} is listed twice")
            category[concept] = cat
            words[concept] = {lang: [] if forms == _NONE else forms.split("/")
                              for lang, forms in zip(LANGUAGES, fields[1:])}
    for prefix, concept in _ZH_DETERMINERS.items():
        words[concept]["zh"] += [prefix + cl for cl in CLASSIFIERS.split()]
    return category, words


@functools.cache
def _lexicon(language: str) -> tuple[dict[str, str], dict[str, str]]:
    """(word -> concept, lower-cased word -> concept) for one language."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}")
    exact: dict[str, str] = {}
    for concept, by_language in _inventory()[1].items():
        for word in by_language[language]:
            if word in exact:
                raise ValueError(f"{language} word {word!r} is listed under both "
                                 f"{exact[word]} and {concept}")
            exact[word] = concept
    lower: dict[str, str] = {}
    # A lower-case entry wins a case collision: fr "pierre" (stone) over "Pierre" (name).
    for word, concept in sorted(exact.items(), key=lambda item: item[0] != item[0].lower()):
        lower.setdefault(word.lower(), concept)
    return exact, lower


def concept_of(language: str, word: str) -> str:
    """The concept id of a word as ``sentence_words`` yields it.

    Exact form first, then case-insensitively (sentence-initial capitals); a French elided
    token (``l'homme``, ``qu'il``, ``n'ouvre``) takes the concept of the word after the
    apostrophe. Raises ValueError for a word the table does not know.
    """
    exact, lower = _lexicon(language)
    candidates = [word]
    if language == "fr" and "'" in word:
        candidates.append(word.split("'", 1)[1])
    for form in candidates:
        if form in exact:
            return exact[form]
        if form.lower() in lower:
            return lower[form.lower()]
    raise ValueError(f"word {word!r} has no concept in the {language!r} table")


def concept_category(concept: str) -> str:
    """The semantic category (one of CATEGORIES) of a concept id."""
    try:
        return _inventory()[0][concept]
    except KeyError:
        raise ValueError(f"unknown concept {concept!r}") from None


@functools.cache
def _prototypes() -> np.ndarray:
    """(len(CATEGORIES), N_CONCEPT_DIMS) orthonormal rows (Gram-Schmidt of seeded draws)."""
    if len(CATEGORIES) > N_CONCEPT_DIMS:
        raise ValueError(f"{len(CATEGORIES)} categories need at least as many dimensions, "
                         f"found N_CONCEPT_DIMS={N_CONCEPT_DIMS}")
    rows: list[np.ndarray] = []
    for cat in CATEGORIES:
        v = _seeded_rng("concept-category", cat).standard_normal(N_CONCEPT_DIMS)
        for r in rows:
            v = v - (v @ r) * r
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)


@functools.cache
def _vector(concept: str) -> np.ndarray:
    proto = _prototypes()[CATEGORIES.index(concept_category(concept))]
    deviation = _seeded_rng("concept", concept).standard_normal(N_CONCEPT_DIMS)
    v = proto + ITEM_SPREAD * deviation / np.sqrt(N_CONCEPT_DIMS)
    v = v / np.linalg.norm(v)
    v.flags.writeable = False
    return v


def concept_vector(concept: str) -> np.ndarray:
    """(N_CONCEPT_DIMS,) float64 unit vector of a concept id."""
    return _vector(concept).copy()


def word_vectors(language: str, words: Sequence[str]) -> np.ndarray:
    """(len(words), N_CONCEPT_DIMS) float64: the concept vector of each word."""
    if isinstance(words, str):
        raise ValueError(f"words must be a sequence of words, found the string {words!r}")
    out = np.zeros((len(words), N_CONCEPT_DIMS))
    for i, word in enumerate(words):
        out[i] = _vector(concept_of(language, word))
    return out


def concept_table() -> pd.DataFrame:
    """One row per concept: concept, category, and the en/fr/zh words (comma-joined, or '')."""
    category, words = _inventory()
    return pd.DataFrame([{"concept": c, "category": category[c],
                          **{lang: ",".join(words[c][lang]) for lang in LANGUAGES}}
                         for c in category])
