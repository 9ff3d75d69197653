"""Mandarin lexicon and grammar (simplified characters, pre-segmented into words).

Nouns carry their measure word (``书/本``); determiners are built as demonstrative or numeral
plus measure word (``那本``, ``一只``), one token each, as a word segmenter would return them.
Place words are locative already (``河边``, ``森林里``).
"""

from __future__ import annotations

import numpy as np

from brainlike.simulate.grammar import Category, chance, choose, frequency_table

ANIMATE = Category("""
老人/位:4.8 女人/个:4.9 男孩/个:4.6 女孩/个:4.9 孩子/个:5.5 老师/位:5.4 医生/位:5.1 农民/个:4.7
国王/位:4.4 士兵/个:4.5 水手/个:3.6 朋友/个:5.6 妈妈/位:5.3 爸爸/位:5.2 姐姐/个:4.9 哥哥/个:5.0
弟弟/个:4.8 妹妹/个:4.8 邻居/个:4.5 陌生人/个:4.2 小狗/只:4.4 小猫/只:4.4 马/匹:4.8 小鸟/只:4.3
狐狸/只:4.0 狼/只:4.3 司机/个:4.6 学生/个:5.5 作家/位:4.7 画家/位:4.3 渔夫/个:3.3 护士/个:4.4
小偷/个:4.1 歌手/位:4.5 王子/位:4.3 公主/位:4.4 奶奶/位:4.7 爷爷/位:4.7 叔叔/个:4.7 阿姨/个:4.7
船长/位:4.0 兔子/只:4.2 老鼠/只:4.3 狮子/只:4.2 警察/个:5.0 厨师/个:4.2 男人/个:5.0
""", word_forms=1)
NAMES = Category("小明:4.6 小红:4.3 李老师:3.8 王奶奶:3.2 张医生:3.3 小王:4.4 丽丽:3.6 大卫:3.9",
                 word_forms=1)
THING = Category("""
信/封:5.0 书/本:5.4 钥匙/把:4.5 盒子/个:4.3 门/扇:5.2 窗户/扇:4.5 包/个:4.7 外套/件:4.0 帽子/顶:4.2
杯子/个:4.3 瓶子/个:4.1 刀/把:4.5 地图/张:4.4 照片/张:4.8 戒指/枚:4.0 石头/块:4.5 苹果/个:4.6
面包/块:4.3 灯/盏:4.6 椅子/把:4.4 桌子/张:4.5 手机/部:5.3 车票/张:3.9 蜡烛/支:3.7 钟/个:4.5
镜子/面:4.1 雨伞/把:3.9 篮子/个:3.7 毯子/条:3.7 硬币/枚:3.8 花/朵:4.9 鞋子/双:4.0 报纸/份:4.4
画/幅:4.7 礼物/份:4.6 船/艘:4.7 汽车/辆:4.8 自行车/辆:4.1 笔记本/个:4.0 箱子/个:4.1 鸡蛋/个:4.2
橘子/个:3.8 围巾/条:3.6 铅笔/支:3.8 歌/首:5.0 绳子/条:3.8 小提琴/把:3.5 衣服/件:4.9
""", word_forms=1)
PLACE = Category("""
河边:4.2 家里:5.3 森林里:3.8 村子里:3.9 城里:4.6 花园里:3.8 厨房里:3.9 车站:4.5 市场:5.0
学校:5.5 教堂:4.3 桥上:3.7 海边:4.3 山上:4.6 路上:5.0 田里:3.9 商店:4.5 图书馆:4.4 医院:5.1
港口:4.1 岛上:3.8 湖边:3.7 公园:4.7 房间里:4.2 街上:4.5 农场:4.0 办公室:4.9 城堡:3.9 山洞里:3.3
塔上:3.0 山谷:3.9 广场:4.5 博物馆:4.1 餐厅:4.4 旅馆:4.0 沙漠:4.1 营地:3.6
""")
ADJ_ANY = Category("""
美丽:4.8 安静:4.7 奇怪:4.9 漂亮:5.1 古老:4.4 黑暗:4.6 明亮:4.2 温暖:4.6 寒冷:4.3 沉重:4.3
干净:4.6 破旧:3.6 巨大:4.8 著名:4.8 神秘:4.5 新:5.8 旧:4.9 空:4.8 湿:3.9 重要:5.6 普通:5.0
""")
ADJ_COLOR = Category("红色:4.4 蓝色:4.3 白色:4.5 黑色:4.5 绿色:4.3 金色:3.9 灰色:3.8 小小:4.2")
ADJ_MIND = Category("""
年轻:5.0 疲惫:4.0 快乐:5.1 伤心:4.5 生气:4.8 孤独:4.5 饥饿:4.0 富有:4.1 可怜:4.6 好奇:4.4
紧张:4.8 骄傲:4.3 聪明:4.7 善良:4.5 勇敢:4.5 可爱:5.0 高兴:5.2 难过:4.7 害怕:5.0 累:4.9
""")
ADV = Category("""
慢慢地:4.2 悄悄地:3.8 突然:5.3 终于:5.1 马上:5.2 又:6.0 已经:5.9 常常:4.8 小心地:3.8
静静地:3.7 轻轻地:3.9 高兴地:3.7 很快:5.2 一直:5.6 仍然:5.0 也:6.5
""")
TIME = Category("""
后来:5.1 突然:5.3 然后:5.5 第二天:4.5 最后:5.4 有一天:4.3 今天:5.7 昨天:5.2 早上:5.0
晚上:5.3 这时:4.4 于是:4.9 那天晚上:3.5
""")
V_INTR = Category("""
散步:4.2 睡觉:4.9 笑:5.4 哭:5.0 等待:4.6 唱歌:4.6 跑步:4.1 跳舞:4.4 休息:4.9 离开:5.3 回来:5.4
出发:4.6 说话:5.3 工作:5.7 游泳:4.3 做梦:4.2 叹气:3.7 消失:4.8 醒来:4.2 祈祷:3.8 旅行:4.7
发抖:3.7 思考:4.6 微笑:4.6 大叫:3.9 坐下:4.4 站起来:4.3 点头:4.1
""")
V_THING = Category("""
看见:5.2 找到:5.3 拿起:4.4 打开:5.2 关上:4.2 带着:4.7 放下:4.5 买:5.6 卖:5.1 丢:4.6 画:4.8
读:4.9 写:5.3 洗:4.7 修好:3.8 捡起:3.9 寻找:4.6 需要:5.8 喜欢:5.8 记得:5.1 忘记:4.9 偷走:3.7
借:4.7 推:4.6 拉:4.7 摸:4.4 打破:4.4 拿走:4.2 收到:4.9 检查:4.8
""")
V_PERSON = Category("""
看见:5.2 找到:5.3 帮助:5.4 叫:5.6 想念:4.4 喜欢:5.8 爱:5.8 拜访:4.0 跟着:4.6 感谢:4.9 遇见:4.3
拥抱:4.3 提醒:4.5 等:5.7 记得:5.1
""")
V_MOTION = Category("走到:4.3 跑到:4.0 来到:5.0 回到:5.1 走进:4.3 跑进:3.6 冲进:3.5 爬上:3.7 游到:3.0 搬到:3.9")
V_SAY = Category("""
说:6.3 觉得:5.9 知道:6.1 相信:5.4 听说:5.1 发现:5.6 希望:5.7 认为:5.6 明白:5.3 担心:5.1
""")
CLASSIFIERS = "个 位 只 匹 本 封 把 张 条 扇 件 顶 块 枚 盏 支 面 朵 双 份 幅 艘 辆 部 首"
FUNCTION = {"的": 7.5, "了": 7.0, "在": 6.9, "和": 6.7, "但是": 6.0, "因为": 6.0, "所以": 5.9,
            "当": 5.7, "时候": 5.8, "吗": 6.0, "为什么": 5.7, "哪里": 5.5, "谁": 5.8, "什么": 6.4,
            "他": 6.9, "她": 6.6, "他们": 6.4, "我们": 6.5, "我": 7.1, "你": 6.9, "很": 6.5,
            "没有": 6.3, "虽然": 5.4, "如果": 5.8, "想": 6.1}
for _cl in CLASSIFIERS.split():
    # Rough: numeral-classifier tokens are common, demonstrative ones a bit less.
    FUNCTION.update({"一" + _cl: 5.0, "这" + _cl: 4.6, "那" + _cl: 4.6})
FUNCTION.update({"一个": 6.5, "这个": 6.2, "那个": 5.9})
FREQUENCY = frequency_table(
    (ANIMATE, NAMES, THING, PLACE, ADJ_ANY, ADJ_COLOR, ADJ_MIND, ADV, TIME, V_INTR, V_THING,
     V_PERSON, V_MOTION, V_SAY), FUNCTION)

_PRONOUNS = ("他", "她", "他们", "我们", "我", "你")
#: Stative verbs take no perfective 了 (*需要了).
_STATIVE = frozenset({"需要", "喜欢", "记得", "带着"})


def _perfective(verb: str) -> list[str]:
    return [] if verb in _STATIVE else ["了"]


def _noun_phrase(rng: np.random.Generator, nouns: Category, animate: bool,
                 bare_p: float = 0.35) -> list[str]:
    noun, classifier = nouns.pick(rng).forms
    tokens: list[str] = []
    if not chance(rng, bare_p):
        if animate and chance(rng, 0.25):
            tokens += [choose(rng, _PRONOUNS[:3]), "的"]
        else:
            tokens.append(choose(rng, ("一", "这", "那"), (0.5, 0.25, 0.25)) + classifier)
    if chance(rng, 0.3):
        if animate and chance(rng, 0.5):
            adj = ADJ_MIND
        else:
            adj = ADJ_COLOR if chance(rng, 0.3) else ADJ_ANY
        tokens += [adj.pick(rng).word, "的"]
    return [*tokens, noun]


def _subject(rng: np.random.Generator) -> list[str]:
    kind = choose(rng, ("np", "pronoun", "name"), (0.55, 0.3, 0.15))
    if kind == "pronoun":
        return [choose(rng, _PRONOUNS, (0.3, 0.3, 0.1, 0.1, 0.15, 0.05))]
    if kind == "name":
        return [NAMES.pick(rng).word]
    return _noun_phrase(rng, ANIMATE, True, bare_p=0.6)


def _predicate(rng: np.random.Generator, depth: int) -> list[str]:
    kind = choose(rng, ("intr", "thing", "person", "motion", "copula", "neg", "say"),
                  (0.2, 0.22, 0.12, 0.16, 0.1, 0.08, 0.12 if depth == 0 else 0.0))
    adv = [ADV.pick(rng).word] if chance(rng, 0.3) and kind not in ("copula", "neg") else []
    if kind == "intr":
        if chance(rng, 0.4):
            return [*adv, "在", PLACE.pick(rng).word, V_INTR.pick(rng).word]
        return [*adv, V_INTR.pick(rng).word, *(["了"] if chance(rng, 0.4) else [])]
    if kind == "thing":
        verb = V_THING.pick(rng).word
        return [*adv, verb, *_perfective(verb), *_noun_phrase(rng, THING, False)]
    if kind == "person":
        return [*adv, V_PERSON.pick(rng).word, *_noun_phrase(rng, ANIMATE, True)]
    if kind == "motion":
        return [*adv, V_MOTION.pick(rng).word, PLACE.pick(rng).word]
    if kind == "copula":
        return ["很", (ADJ_MIND if chance(rng, 0.7) else ADJ_ANY).pick(rng).word]
    if kind == "neg":
        return ["没有", V_THING.pick(rng).word, *_noun_phrase(rng, THING, False)]
    return [*adv, V_SAY.pick(rng).word, *_clause(rng, depth + 1)]


def _clause(rng: np.random.Generator, depth: int = 0) -> list[str]:
    return [*_subject(rng), *_predicate(rng, depth)]


def _question(rng: np.random.Generator) -> list[str]:
    kind = choose(rng, ("why", "where", "who", "ma", "what"))
    if kind == "why":
        return [*_subject(rng), "为什么", V_INTR.pick(rng).word, "？"]
    if kind == "where":
        return [*_noun_phrase(rng, THING, False, bare_p=0.0), "在", "哪里", "？"]
    if kind == "who":
        verb = V_THING.pick(rng).word
        return ["谁", verb, *_perfective(verb), *_noun_phrase(rng, THING, False), "？"]
    if kind == "ma":
        verb = V_THING.pick(rng).word
        return [*_subject(rng), verb, *_perfective(verb), *_noun_phrase(rng, THING, False),
                "吗", "？"]
    return [*_subject(rng), "在", "想", "什么", "？"]


def generate(rng: np.random.Generator) -> list[str]:
    """One sentence as tokens, ending with a punctuation token ('。' or '？')."""
    kind = choose(rng, ("simple", "time", "coord", "sub_first", "relative", "question"),
                  (0.3, 0.12, 0.12, 0.23, 0.08, 0.15))
    if kind == "simple":
        tokens = _clause(rng)
    elif kind == "time":
        tokens = [TIME.pick(rng).word, "，", *_clause(rng)]
    elif kind == "coord":
        tokens = [*_clause(rng), "，", choose(rng, ("但是", "然后", "所以")), *_clause(rng, 1)]
    elif kind == "sub_first":
        first, second = choose(rng, (("因为", "所以"), ("虽然", "但是"), ("如果", ""), ("当", "")))
        clause = _clause(rng, 1)
        if first == "当":
            clause += ["的", "时候"]
        tokens = [first, *clause, "，", *([second] if second else []), *_clause(rng, 1)]
    elif kind == "relative":
        head = [V_THING.pick(rng).word, *_noun_phrase(rng, THING, False, bare_p=1.0), "的",
                ANIMATE.pick(rng).word]
        tokens = [*head, *_predicate(rng, 1)]
    else:
        return _question(rng)
    return [*tokens, "。"]
