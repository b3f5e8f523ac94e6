"""The people of the demo: first names and surnames of many cultures and scripts, drawn into
a person, and the ASCII forms that build handles and email addresses.

Entries in a non-Latin script are written "native/roman"; the roman part builds handles and
email addresses. Latin entries are folded to ASCII for that.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Culture:
    key: str
    weight: int
    countries: tuple[str, ...]
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    male_surnames: tuple[str, ...] = ()  # when surnames differ by gender
    family_first: bool = False
    joiner: str = " "


CULTURES = (
    Culture(
        "italian",
        14,
        ("IT",),
        ("Chiara", "Giulia", "Francesca", "Sofia", "Aurora", "Martina", "Beatrice", "Noemi"),
        ("Luca", "Matteo", "Niccolò", "Lorenzo", "Gabriele", "Tommaso", "Davide", "Federico"),
        ("Bianchi", "Rossi", "Ferrari", "Esposito", "Romano", "Colombo", "Ricci", "Marino",
         "Greco", "Bruno", "Conti", "De Luca", "Mancini", "Giordano", "Moretti", "D'Angelo"),
    ),
    Culture(
        "spanish",
        11,
        ("ES", "MX", "AR", "CO"),
        ("María", "Lucía", "Sofía", "Valentina", "Inés", "Ximena", "Begoña", "Paula"),
        ("José", "Alejandro", "Íñigo", "Andrés", "Sebastián", "Diego", "Jesús", "Álvaro"),
        ("Núñez", "García", "Martínez", "López", "Fernández", "González", "Rodríguez",
         "Sánchez", "Pérez", "Gómez", "Díaz", "Muñoz", "Jiménez", "Hernández", "Peña"),
    ),
    Culture(
        "french",
        8,
        ("FR", "BE", "CA"),
        ("Zoé", "Léa", "Chloé", "Camille", "Inès", "Manon", "Éloïse", "Océane", "Clémence"),
        ("François", "Théo", "Hugo", "Maël", "Jérôme", "Noé", "Benoît", "Raphaël", "Étienne"),
        ("Lefèvre", "Dubois", "Moreau", "Laurent", "Girard", "Rousseau", "Mercier", "Fontaine",
         "Chevalier", "Lemaître", "Gauthier", "Pélissier"),
    ),
    Culture(
        "german",
        6,
        ("DE", "AT", "CH"),
        ("Zoë", "Lena", "Jana", "Mia", "Leonie", "Hannah", "Käthe", "Marlene"),
        ("Jürgen", "Lukas", "Jonas", "Felix", "Björn", "Maximilian", "Sören", "Moritz"),
        ("Müller", "Schröder", "Groß", "Weiß", "Schäfer", "Krüger", "Köhler", "Fischer",
         "Wagner", "Becker", "Hoffmann", "Böhm", "Jäger"),
    ),
    Culture(
        "portuguese",
        8,
        ("PT", "BR"),
        ("Conceição", "Beatriz", "Inês", "Mariana", "Letícia", "Júlia", "Luísa", "Fernanda"),
        ("João", "Tomás", "Gonçalo", "Luís", "Sebastião", "Thiago", "Caio", "Antônio"),
        ("Gonçalves", "Araújo", "Simões", "Magalhães", "Silva", "Santos", "Ferreira",
         "Pereira", "Oliveira", "Costa", "Rodrigues", "Almeida"),
    ),
    Culture(
        "english",
        12,
        ("US", "GB", "IE", "AU", "CA"),
        ("Emma", "Olivia", "Ava", "Charlotte", "Amelia", "Grace", "Harper", "Maya"),
        ("James", "Oliver", "Liam", "Noah", "Ethan", "Jack", "Harry", "Samuel"),
        ("Johnson", "Smith", "Williams", "Brown", "Taylor", "Davies", "Evans", "Walker",
         "Wright", "Thompson", "Robinson", "Clarke", "Hughes", "Murphy", "O'Brien"),
    ),
    Culture(
        "dutch",
        3,
        ("NL", "BE"),
        ("Sanne", "Fleur", "Lotte", "Noor", "Anouk", "Eva"),
        ("Daan", "Bram", "Sem", "Jesse", "Thijs", "Ruben"),
        ("de Vries", "van Dijk", "Bakker", "Jansen", "Visser", "Smit", "de Jong", "Mulder"),
    ),
    Culture(
        "nordic",
        2,
        ("SE", "DK", "NO"),
        ("Åsa", "Linnéa", "Freja", "Maja", "Ingrid"),
        ("Björn", "Søren", "Anders", "Mikkel", "Oskar"),
        ("Andersson", "Johansson", "Nielsen", "Jørgensen", "Lindqvist", "Sjöberg"),
    ),
    Culture(
        "polish",
        2,
        ("PL",),
        ("Zofia", "Małgorzata", "Agnieszka", "Katarzyna"),
        ("Łukasz", "Paweł", "Michał", "Wojciech"),
        ("Kowalska", "Wiśniewska", "Wójcik", "Nowak", "Lewandowska"),
        ("Kowalski", "Wiśniewski", "Wójcik", "Nowak", "Lewandowski"),
    ),
    Culture(
        "turkish",
        4,
        ("TR",),
        ("Elif", "Çağla", "Zeynep", "Ayşe", "Büşra", "Gülşen", "İrem", "Ece"),
        ("Emre", "Mehmet", "Oğuz", "Barış", "Burak", "Çağrı", "Kerem", "İbrahim"),
        ("Yılmaz", "Öztürk", "Şahin", "Çelik", "Aydın", "Kaya", "Demir", "Güneş", "Arslan"),
    ),
    Culture(
        "vietnamese",
        2,
        ("VN",),
        ("Lan", "Hương", "Thảo", "Ngọc", "Linh"),
        ("Minh", "Dũng", "Tuấn", "Quang", "Huy"),
        ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng"),
        family_first=True,
    ),
    Culture(
        "russian",
        7,
        ("RU", "KZ", "UA"),
        ("Анна/anna", "Мария/maria", "Екатерина/ekaterina", "Ольга/olga", "Дарья/darya",
         "Алина/alina", "Полина/polina", "Ксения/ksenia"),
        ("Дмитрий/dmitry", "Алексей/alexey", "Иван/ivan", "Сергей/sergey", "Никита/nikita",
         "Артём/artyom", "Максим/maxim", "Михаил/mikhail"),
        ("Иванова/ivanova", "Смирнова/smirnova", "Кузнецова/kuznetsova", "Попова/popova",
         "Соколова/sokolova", "Волкова/volkova", "Морозова/morozova", "Лебедева/lebedeva"),
        ("Иванов/ivanov", "Смирнов/smirnov", "Кузнецов/kuznetsov", "Попов/popov",
         "Соколов/sokolov", "Волков/volkov", "Морозов/morozov", "Лебедев/lebedev"),
    ),
    Culture(
        "greek",
        3,
        ("GR", "CY"),
        ("Μαρία/maria", "Ελένη/eleni", "Κατερίνα/katerina", "Σοφία/sofia", "Δήμητρα/dimitra"),
        ("Νίκος/nikos", "Γιώργος/giorgos", "Κώστας/kostas", "Δημήτρης/dimitris",
         "Γιάννης/giannis"),
        ("Παπαδοπούλου/papadopoulou", "Παπαδάκη/papadaki", "Γεωργίου/georgiou",
         "Οικονόμου/oikonomou", "Βλάχου/vlachou"),
        ("Παπαδόπουλος/papadopoulos", "Παπαδάκης/papadakis", "Γεωργίου/georgiou",
         "Οικονόμου/oikonomou", "Βλάχος/vlachos"),
    ),
    Culture(
        "japanese",
        6,
        ("JP",),
        ("花子/hanako", "陽菜/hina", "さくら/sakura", "美咲/misaki", "結衣/yui", "葵/aoi"),
        ("翔太/shota", "大翔/hiroto", "蓮/ren", "悠真/yuma", "健太/kenta", "拓海/takumi"),
        ("佐藤/sato", "鈴木/suzuki", "高橋/takahashi", "田中/tanaka", "伊藤/ito",
         "渡辺/watanabe", "山本/yamamoto", "中村/nakamura", "小林/kobayashi"),
        family_first=True,
    ),
    Culture(
        "chinese",
        5,
        ("CN", "TW", "SG", "HK"),
        ("芳/fang", "静/jing", "丽/li", "敏/min", "婷/ting", "欣怡/xinyi", "雨桐/yutong"),
        ("伟/wei", "强/qiang", "磊/lei", "洋/yang", "浩然/haoran", "子轩/zixuan", "俊杰/junjie"),
        ("王/wang", "李/li", "张/zhang", "刘/liu", "陈/chen", "杨/yang", "黄/huang", "赵/zhao"),
        family_first=True,
        joiner="",
    ),
    Culture(
        "korean",
        5,
        ("KR",),
        ("민지/minji", "서연/seoyeon", "지우/jiwoo", "하은/haeun", "수아/sua", "예린/yerin"),
        ("민준/minjun", "서준/seojun", "도윤/doyun", "하준/hajun", "지호/jiho", "현우/hyunwoo"),
        ("김/kim", "이/lee", "박/park", "최/choi", "정/jung", "강/kang", "조/cho", "윤/yoon"),
        family_first=True,
        joiner="",
    ),
    Culture(
        "arabic",
        6,
        ("AE", "SA", "EG", "MA", "JO", "LB"),
        ("ليلى/layla", "فاطمة/fatima", "نور/nour", "مريم/mariam", "سارة/sara",
         "ياسمين/yasmin", "هدى/huda", "رنا/rana"),
        ("أحمد/ahmed", "محمد/mohamed", "عمر/omar", "يوسف/youssef", "خالد/khaled",
         "كريم/karim", "علي/ali", "حسن/hassan"),
        ("حسن/hassan", "منصور/mansour", "خليل/khalil", "سعيد/saeed", "عبدالله/abdullah",
         "نصار/nassar", "حداد/haddad"),
    ),
    Culture(
        "hebrew",
        2,
        ("IL",),
        ("נועה/noa", "מאיה/maya", "תמר/tamar", "שירה/shira", "יעל/yael"),
        ("איתי/itai", "יונתן/yonatan", "אורי/ori", "דניאל/daniel", "עומר/omer"),
        ("כהן/cohen", "לוי/levi", "מזרחי/mizrahi", "פרץ/peretz", "ביטון/biton"),
    ),
    Culture(
        "hindi",
        5,
        ("IN",),
        ("प्रिया/priya", "अनन्या/ananya", "दिव्या/divya", "नेहा/neha", "पूजा/pooja"),
        ("राहुल/rahul", "अर्जुन/arjun", "विक्रम/vikram", "रोहन/rohan", "आदित्य/aditya"),
        ("शर्मा/sharma", "वर्मा/verma", "गुप्ता/gupta", "पटेल/patel", "सिंह/singh", "मेहता/mehta"),
    ),
)  # fmt: skip
CULTURE_BY_KEY = {culture.key: culture for culture in CULTURES}
CULTURE_WEIGHTS = tuple(culture.weight for culture in CULTURES)

# Account countries (the demo's main markets first) and the culture their people come from.
ACCOUNT_COUNTRIES = (
    ("IT", 18), ("US", 14), ("ES", 10), ("GB", 9), ("FR", 8), ("DE", 8), ("BR", 5), ("PT", 4),
    ("NL", 4), ("MX", 4), ("JP", 4), ("CA", 2), ("AU", 2), ("SE", 1), ("CH", 1), ("BE", 1),
    ("AT", 1), ("IE", 1), ("AR", 1), ("CO", 1), ("PL", 1), ("DK", 1), ("AE", 1), ("KR", 1),
)  # fmt: skip
HOME_CULTURE = {
    "IT": "italian", "ES": "spanish", "MX": "spanish", "AR": "spanish", "CO": "spanish",
    "FR": "french", "BE": "french", "DE": "german", "AT": "german", "CH": "german",
    "PT": "portuguese", "BR": "portuguese", "NL": "dutch", "SE": "nordic", "DK": "nordic",
    "PL": "polish", "JP": "japanese", "KR": "korean", "AE": "arabic",
}  # fmt: skip


_ASCII_FOLD = str.maketrans(
    {"ı": "i", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "æ": "ae"}
)


def ascii_fold(value: str) -> str:
    """Latin text without accents: "Núñez" -> "Nunez", "Groß" -> "Gross"."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII_FOLD))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def slug(value: str, sep: str = "") -> str:
    """Lower-case ASCII letters and digits, other runs replaced by `sep`."""
    words = "".join(c if c.isalnum() else " " for c in ascii_fold(value).lower()).split()
    return sep.join(words)


def split(entry: str) -> tuple[str, str]:
    """A pool entry as (native, roman)."""
    native, _, roman = entry.partition("/")
    return native, roman or slug(native)


@dataclass(frozen=True)
class Person:
    name: str  # as shown, in the culture's order and script
    first: str
    first_roman: str
    last_roman: str  # already a slug


def draw_person(rng: random.Random, culture: Culture) -> Person:
    """A person of `culture`: a woman a little more often than a man."""
    female = rng.random() < 0.55
    first, first_roman = split(rng.choice(culture.female if female else culture.male))
    surnames = culture.male_surnames if culture.male_surnames and not female else None
    last, last_roman = split(rng.choice(surnames or culture.surnames))
    parts = (last, first) if culture.family_first else (first, last)
    return Person(culture.joiner.join(parts), first, first_roman, slug(last_roman))
