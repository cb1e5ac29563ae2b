"""Write a synthetic agency: the content folder the build reads, at any size.

    python bench/generate.py --clients 10000 --invoices 10 --seed 1 --out bench/out/content

Deterministic: the same arguments give byte-identical files (one
``random.Random(seed)`` drives every choice, and files are written as UTF-8
with ``\\n`` line ends). Fast: files are written directly with f-strings, and
every amount is computed in integer minor units, so the payments it writes
settle exactly what the billing rules say an invoice owes.

The mix: clients in six locales (en, zh_Hans, zh_Hant, ru, pl, ms) billing in
USD, EUR, PLN, JPY or GBP; 1-8 line items per invoice (scope, out_of_scope,
expense); about 40% of invoices paid in full (some early, with the 2% early
discount, some in two payments), 10% partially paid, 2% void, the rest open or
overdue; about a third with tax; 5% on a three-instalment plan (40/30/30); a
thank-you note for about one client in twenty.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

DEFAULT_TODAY = date(2026, 11, 23)
NET_DAYS = 21
EARLY_DISCOUNT_PERCENT = 2  # within EARLY_DISCOUNT_DAYS of the issue date
EARLY_DISCOUNT_DAYS = 10
CONTENT_PARTS = ("agency.yaml", "clients", "invoices", "payments", "notes")

AGENCY_YAML = """\
# A synthetic agency written by bench/generate.py; do not edit by hand.
name: Synthetic Studio
tax_id: "US 98-7654321"
email: billing@synthetic.example
phone: "+1 555 0199"
address: ["400 Benchmark Avenue", "Portland, OR 97209", "United States"]
currency: USD
locale: en
timezone: America/Los_Angeles
portal_url: https://portal.synthetic.example
api_url: https://api.synthetic.example

terms:
  net_days: 21
  late_fee:
    steps:
      - {days_overdue: 1, percent: "3", of: total}
      - {days_overdue: 21, percent: "3", of: balance}
  early_discount: {percent: "2", within_days: 10}

reminders:
  before_due: [10, 5, 3]
  on_due: true
  overdue: [1, 7, 14, 30]
  repeat_every_days: 30
  cc_leadership_from_days_overdue: 14
  skip_weekends: true

thank_you: "Thank you, {contact}! It is a pleasure to work with {client}."
payment_terms: >-
  Pay online from your portal by card or bank debit, or by bank transfer to
  Synthetic Studio LLC, account 000987654321. Please quote the invoice number.
"""

# --- what the clients look like, per locale ----------------------------------

# (weight, [(currency, weight)], [(name stem, id stem)], legal forms, name pattern)
LOCALES: dict[str, dict] = {
    "en": {
        "weight": 35,
        "currencies": [("USD", 6), ("GBP", 3), ("EUR", 1)],
        "stems": [
            ("Harbor Light", "harbor-light"),
            ("Summit Outfitters", "summit"),
            ("Bluebird Health", "bluebird"),
            ("Cedar & Oak", "cedar-oak"),
            ("Ironwood Robotics", "ironwood"),
            ("Thames & Rowe", "thames-rowe"),
            ("Open Trails", "open-trails"),
            ("Maple Street Foods", "maple-street"),
        ],
        "forms": ["Inc.", "LLC", "Ltd"],
        "name": "{stem} {form}",
        "people": [
            "Alice Carter",
            "Ben Nguyen",
            "Chloe Patel",
            "David Smith",
            "Emma Okafor",
            "Frank Reyes",
            "Grace Walsh",
            "Henry Kim",
        ],
        "addresses": [
            ["{n} Market Street", "San Francisco, CA 94105", "United States"],
            ["{n} Baker Street", "London NW1 6XE", "United Kingdom"],
            ["{n} Pearl Street", "Boston, MA 02110", "United States"],
        ],
        "tax_id": "US {a:02d}-{b:07d}",
        "titles": [
            "Website redesign — phase {n}",
            "Brand refresh",
            "Quarterly content retainer",
            "Dashboard UX audit",
            "Product launch campaign",
        ],
        "scope": [
            "Discovery workshop (full day, on site)",
            "Front-end development (hours)",
            "Visual design (per page)",
            "UX audit (days)",
            "Monthly retainer: SEO and content",
            "Copywriting (hours)",
        ],
        "out_of_scope": [
            "Extra revision round (not in the agreed scope)",
            "Rush delivery",
            "Additional landing page design (hours)",
        ],
        "expense": [
            "Stock photography licences",
            "Train and hotel for the on-site workshop",
            "Font licence",
        ],
        "note": (
            "Thank you for a wonderful project",
            "Dear {contact},\n\nYour payment for **{invoice}** has arrived. Thank you! "
            "It was a real pleasure to work with everyone at {client}!\n\nWhat we enjoyed most:\n\n"
            "- your *quick, clear* feedback;\n- the launch day itself;\n"
            "- the coffee.\n\nSee you soon at [synthetic.example](https://synthetic.example).\n",
        ),
    },
    "zh_Hans": {
        "weight": 15,
        "currencies": [("USD", 3), ("JPY", 1), ("EUR", 1)],
        "stems": [
            ("星河科技", "xinghe"),
            ("光华文化", "guanghua"),
            ("青云教育", "qingyun"),
            ("锦绣传媒", "jinxiu"),
            ("东方贸易", "dongfang"),
        ],
        "forms": ["有限公司"],
        "name": "{city}{stem}{form}",
        "cities": ["北京", "上海", "深圳", "杭州", "成都"],
        "people": ["王芳", "李伟", "张敏", "刘洋", "陈静", "杨磊", "赵丽", "黄强"],
        "addresses": [
            ["朝阳区建国路{n}号", "北京市 100022", "中国"],
            ["浦东新区世纪大道{n}号", "上海市 200120", "中国"],
        ],
        "tax_id": "统一社会信用代码 9111{a:02d}{b:012d}",
        "titles": ["产品官网改版（第{n}期）", "品牌升级", "季度内容运营", "众筹活动页面设计"],
        "scope": [
            "需求调研工作坊（全天）",
            "前端开发与上线（小时）",
            "视觉设计（按页面）",
            "用户体验评估（天）",
            "每月内容运营服务",
            "文案撰写（小时）",
        ],
        "out_of_scope": ["额外修改轮次（不在约定范围内）", "加急交付", "新增落地页设计（小时）"],
        "expense": ["图库授权", "差旅费用", "字体授权"],
        "note": (
            "感谢您的信任与合作",
            "{contact}您好：\n\n我们已收到 **{invoice}** 的款项，衷心感谢！"
            "与{client}合作是我们的荣幸。\n\n- 沟通*高效*\n- 上线顺利\n\n"
            "欢迎访问 [synthetic.example](https://synthetic.example)。\n",
        ),
    },
    "zh_Hant": {
        "weight": 10,
        "currencies": [("USD", 3), ("JPY", 2)],
        "stems": [
            ("光華設計", "guanghua-tw"),
            ("長榮文創", "changrong"),
            ("明月科技", "mingyue"),
            ("錦繡貿易", "jinxiu-tw"),
        ],
        "forms": ["股份有限公司", "有限公司"],
        "name": "{stem}{form}",
        "people": ["陳怡君", "林志明", "黃淑芬", "張家豪", "李雅婷", "王建宏"],
        "addresses": [
            ["信義區松仁路{n}號", "台北市 110", "台灣"],
            ["中環德輔道中{n}號", "香港", "香港"],
        ],
        "tax_id": "統一編號 {b:08d}",
        "titles": ["官方網站改版（第{n}期）", "品牌識別更新", "季度內容經營", "秋季行銷活動"],
        "scope": [
            "需求訪談工作坊（全天）",
            "前端開發與上線（小時）",
            "視覺設計（按頁面）",
            "使用者體驗評估（天）",
            "每月內容經營服務",
            "文案撰寫（小時）",
        ],
        "out_of_scope": ["額外修改輪次（不在約定範圍內）", "急件交付", "新增登陸頁設計（小時）"],
        "expense": ["圖庫授權", "差旅費用", "字型授權"],
        "note": (
            "謝謝您的信任與合作",
            "{contact}您好：\n\n我們已收到 **{invoice}** 的款項，由衷感謝！"
            "能與{client}合作是我們的榮幸。\n\n- 溝通*順暢*\n- 上線順利\n\n"
            "歡迎造訪 [synthetic.example](https://synthetic.example)。\n",
        ),
    },
    "ru": {
        "weight": 12,
        "currencies": [("EUR", 3), ("USD", 2)],
        "stems": [
            ("Янтарный берег", "yantar"),
            ("Северное сияние", "severnoe"),
            ("Волга-Медиа", "volga"),
            ("Кедр", "kedr"),
            ("Альфа-Принт", "alfa-print"),
        ],
        "forms": ["ООО", "АО", "SIA"],
        "name": "{form} «{stem}»",
        "people": [
            "Ольга Смирнова",
            "Дмитрий Волков",
            "Анна Кузнецова",
            "Игорь Попов",
            "Мария Соколова",
            "Сергей Лебедев",
        ],
        "addresses": [
            ["ул. Тверская, д. {n}", "Москва, 125009", "Россия"],
            ["ул. Бривибас, {n}", "Рига, LV-1001", "Латвия"],
        ],
        "tax_id": "ИНН {a:02d}{b:08d}",
        "titles": [
            "Редизайн сайта — этап {n}",
            "Обновление фирменного стиля",
            "Ежеквартальное сопровождение",
            "UX-аудит личного кабинета",
        ],
        "scope": [
            "Аналитический воркшоп (полный день)",
            "Вёрстка и запуск (часы)",
            "Дизайн страниц (за страницу)",
            "UX-аудит (дни)",
            "Ежемесячное сопровождение сайта",
            "Тексты (часы)",
        ],
        "out_of_scope": [
            "Дополнительный круг правок (вне согласованного объёма)",
            "Срочное выполнение",
            "Дизайн дополнительной посадочной страницы (часы)",
        ],
        "expense": ["Лицензии на фотографии", "Командировочные расходы", "Лицензия на шрифт"],
        "note": (
            "Спасибо за прекрасный проект",
            "{contact}, здравствуйте!\n\nОплата по счёту **{invoice}** получена — "
            "большое спасибо! Работать с {client} — настоящее удовольствие.\n\n"
            "- *быстрые* ответы;\n- чёткие задачи.\n\n"
            "До встречи на [synthetic.example](https://synthetic.example).\n",
        ),
    },
    "pl": {
        "weight": 15,
        "currencies": [("PLN", 6), ("EUR", 3), ("GBP", 1)],
        "stems": [
            ("Wisłane Smaki", "wislane-smaki"),
            ("Bursztynowy Szlak", "bursztyn"),
            ("Tatry Tech", "tatry"),
            ("Mazowiecka Piekarnia", "mazowsze"),
            ("Orzeł Logistyka", "orzel"),
        ],
        "forms": ["sp. z o.o.", "S.A.", "s.c."],
        "name": "{stem} {form}",
        "people": [
            "Anna Nowak",
            "Piotr Zieliński",
            "Katarzyna Wójcik",
            "Tomasz Kowalczyk",
            "Magdalena Lewandowska",
            "Paweł Kamiński",
        ],
        "addresses": [
            ["ul. Prosta {n}", "00-838 Warszawa", "Polska"],
            ["ul. Floriańska {n}", "31-019 Kraków", "Polska"],
        ],
        "tax_id": "PL {a:02d}{b:08d}",
        "titles": [
            "Nowa strona internetowa — etap {n}",
            "Odświeżenie identyfikacji",
            "Obsługa treści — kwartał",
            "Audyt UX sklepu",
        ],
        "scope": [
            "Warsztat strategiczny (cały dzień)",
            "Wdrożenie front-end (godziny)",
            "Projekt graficzny (za stronę)",
            "Audyt UX (dni)",
            "Miesięczna obsługa treści",
            "Copywriting (godziny)",
        ],
        "out_of_scope": [
            "Dodatkowa runda poprawek (poza zakresem)",
            "Realizacja ekspresowa",
            "Projekt dodatkowego landing page'a (godziny)",
        ],
        "expense": ["Licencje na zdjęcia", "Podróż służbowa", "Licencja na krój pisma"],
        "note": (
            "Dziękujemy za świetną współpracę",
            "Szanowni Państwo,\n\notrzymaliśmy płatność za **{invoice}**. Dziękujemy! "
            "Współpraca z {client} to prawdziwa przyjemność.\n\n- *szybkie* decyzje;\n"
            "- jasne cele.\n\nZapraszamy na [synthetic.example](https://synthetic.example).\n",
        ),
    },
    "ms": {
        "weight": 13,
        "currencies": [("USD", 4), ("GBP", 1), ("JPY", 1)],
        "stems": [
            ("Batik Warisan", "batik-warisan"),
            ("Cahaya Timur", "cahaya"),
            ("Kenanga Digital", "kenanga"),
            ("Melati Kraf", "melati"),
            ("Seri Pagi", "seri-pagi"),
        ],
        "forms": ["Sdn. Bhd.", "Enterprise"],
        "name": "{stem} {form}",
        "people": [
            "Nur Aisyah binti Ahmad",
            "Ahmad Faiz bin Ismail",
            "Siti Hajar binti Omar",
            "Muhammad Hafiz bin Yusof",
            "Tan Mei Ling",
            "Rajesh a/l Kumar",
        ],
        "addresses": [
            ["No. {n}, Jalan Bukit Bintang", "55100 Kuala Lumpur", "Malaysia"],
            ["No. {n}, Lebuh Chulia", "10200 George Town, Pulau Pinang", "Malaysia"],
        ],
        "tax_id": "SST W10-{a:04d}-{b:08d}",
        "titles": [
            "Reka bentuk semula laman web — fasa {n}",
            "Penjenamaan semula",
            "Khidmat kandungan suku tahunan",
            "Kedai dalam talian",
        ],
        "scope": [
            "Bengkel penemuan (sehari penuh)",
            "Pembangunan laman web (jam)",
            "Reka bentuk visual (setiap halaman)",
            "Audit UX (hari)",
            "Khidmat kandungan bulanan",
            "Penulisan kandungan (jam)",
        ],
        "out_of_scope": [
            "Pusingan semakan tambahan (di luar skop)",
            "Penghantaran segera",
            "Reka bentuk halaman pendaratan tambahan (jam)",
        ],
        "expense": ["Lesen foto stok", "Perjalanan dan penginapan", "Lesen fon"],
        "note": (
            "Terima kasih atas kerjasama yang cemerlang",
            "{contact},\n\nBayaran bagi **{invoice}** telah kami terima. Terima kasih banyak! "
            "Kami amat gembira bekerjasama dengan pasukan {client}!\n\n- maklum balas *pantas*;\n"
            "- matlamat yang jelas.\n\nLayari [synthetic.example](https://synthetic.example).\n",
        ),
    },
}
LOCALE_NAMES = list(LOCALES)
LOCALE_WEIGHTS = [LOCALES[loc]["weight"] for loc in LOCALE_NAMES]
CURRENCIES = ["USD", "EUR", "PLN", "JPY", "GBP"]

# Line items, the same shape in every locale: (quantity kind, USD price range)
ITEM_SPECS = {
    "scope": [
        ("one", 1500, 4000),
        ("hours", 90, 180),
        ("count", 250, 600),
        ("days", 600, 1200),
        ("one", 2000, 6000),
        ("hours", 60, 120),
    ],
    "out_of_scope": [("one", 200, 600), ("one", 300, 900), ("hours", 90, 150)],
    "expense": [("count", 10, 60), ("one", 150, 900), ("one", 40, 300)],
}
# Per mille of a US dollar; JPY amounts are whole yen, rounded to 100
RATES = {"USD": 1000, "EUR": 920, "GBP": 790, "PLN": 3950, "JPY": 150_000}
TAXES = {
    "USD": ("Sales tax", 825),  # percent in hundredths: 8.25 %
    "EUR": ("VAT", 2100),
    "GBP": ("VAT", 2000),
    "PLN": ("VAT", 2300),
    "JPY": ("消費税", 1000),
}
METHODS = ["bank_transfer", "bank_transfer", "wire", "card", "bank_debit", "cheque", "cash"]


# --- small helpers ------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-up, for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def _money(minor: int, currency: str) -> str:
    if currency == "JPY":
        return f'"{minor}"'
    return f'"{minor // 100}.{minor % 100:02d}"'


def _allocate(total: int, weights: list[int]) -> list[int]:
    """Largest remainder, earliest first on ties: what the billing rules do."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _write(path: Path, text: str) -> None:
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))


@dataclass
class Counts:
    clients: int = 0
    invoices: int = 0
    payments: int = 0
    notes: int = 0
    paid: int = 0
    partial: int = 0
    instalment_plans: int = 0
    taxed: int = 0

    @property
    def files(self) -> int:
        return 1 + self.clients + self.invoices + self.payments + self.notes


def _prepare(out: Path) -> None:
    """Empty ``out`` of a previous agency; refuse a folder that holds anything else."""
    out.mkdir(parents=True, exist_ok=True)
    if not (out / "agency.yaml").exists():
        stray = [p.name for p in out.iterdir()]
        if stray:
            raise SystemExit(f"{out} is not empty and holds no agency: refusing to write there")
    for name in CONTENT_PARTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    for name in ("clients", "invoices", "payments", "notes"):
        (out / name).mkdir()


# --- the generator ----------------------------------------------------------------


def generate(
    out: Path, clients: int, invoices: int, seed: int, today: date = DEFAULT_TODAY
) -> None:
    """Write an agency of ``clients`` clients with ``invoices`` invoices each into ``out``."""
    _generate(out, clients, invoices, seed, today)


def _generate(out: Path, clients: int, invoices: int, seed: int, today: date) -> Counts:
    rng = random.Random(seed)
    out = Path(out)
    _prepare(out)
    counts = Counts()
    _write(out / "agency.yaml", AGENCY_YAML)
    clients_dir, invoices_dir = out / "clients", out / "invoices"
    payments_dir, notes_dir = out / "payments", out / "notes"
    width = max(5, len(str(clients)))
    seq = 0
    randint, random_, choice = rng.randint, rng.random, rng.choice

    for c in range(1, clients + 1):
        # -- the client
        locale = rng.choices(LOCALE_NAMES, LOCALE_WEIGHTS)[0]
        spec = LOCALES[locale]
        names, weights = zip(*spec["currencies"], strict=True)
        currency = rng.choices(names, weights)[0]
        stem, id_stem = choice(spec["stems"])
        client_id = f"{id_stem}-{c:0{width}d}"
        name = spec["name"].format(
            stem=stem, form=choice(spec["forms"]), city=choice(spec.get("cities", [""]))
        )
        billing_contact = choice(spec["people"])
        net_days = NET_DAYS
        lines = [f"name: {_q(name)}"]
        if locale != "en" or random_() < 0.5:
            lines.append(f"locale: {locale}")
        if currency != "USD" or random_() < 0.5:
            lines.append(f"currency: {currency}")
        if random_() < 0.6:
            tax_id = spec["tax_id"].format(a=randint(1, 99), b=randint(0, 99_999_999))
            lines.append(f"tax_id: {_q(tax_id)}")
        client_po = f"PO-{today.year}-{randint(1, 999):03d}" if random_() < 0.3 else None
        if client_po:
            lines.append(f"po_number: {client_po}")
        address = [part.format(n=randint(1, 250)) for part in choice(spec["addresses"])]
        lines.append(f"address: [{', '.join(_q(part) for part in address)}]")
        lines.append("contacts:")
        mail = choice(["billing", "accounts", "finance", "ap"])
        lines.append(
            f"  - {{name: {_q(billing_contact)}, email: {mail}@{client_id}.example, role: billing}}"
        )
        if random_() < 0.6:
            boss = choice(spec["people"])
            lines.append(
                f"  - {{name: {_q(boss)}, email: ceo@{client_id}.example, role: leadership}}"
            )
        if random_() < 0.1:
            lines.append("token_version: 2")
        if random_() < 0.05:
            net_days = choice([14, 30])
            lines.append(f"terms: {{net_days: {net_days}}}")
        _write(clients_dir / f"{client_id}.yaml", "\n".join(lines) + "\n")
        counts.clients += 1

        # -- its invoices
        paid_invoices: list[tuple[str, date]] = []
        for _ in range(invoices):
            seq += 1
            fate = random_()
            if fate < 0.40:
                kind, issued = "paid", today - timedelta(days=randint(25, 365))
            elif fate < 0.50:
                kind, issued = "partial", today - timedelta(days=randint(2, 45))
            else:
                kind, issued = "unpaid", today - timedelta(days=randint(0, 75))
            number = f"INV-{issued.year}-{seq:06d}"
            inv_currency = currency
            lines = [f"client: {client_id}", f"issued: {issued.isoformat()}"]
            plan = random_() < 0.05
            due = issued + timedelta(days=net_days)
            if not plan and random_() < 0.2:
                due = issued + timedelta(days=choice([14, 30, 45]))
                lines.append(f"due: {due.isoformat()}")
            switch = random_()
            if switch < 0.03:
                inv_currency = choice(CURRENCIES)
                lines.append(f"currency: {inv_currency}")
            elif switch < 0.08:
                lines.append(f"currency: {inv_currency}")
            if client_po and random_() < 0.5:
                lines.append(f"po_number: {client_po}")
            if random_() < 0.8:
                lines.append(f"title: {_q(choice(spec['titles']).format(n=randint(1, 4)))}")
            taxed = random_() < 0.33
            rate = RATES[inv_currency]
            lines.append("items:")
            subtotal = taxable_sum = 0
            for _ in range(randint(1, 8)):
                roll = random_()
                item_kind = "scope" if roll < 0.7 else "out_of_scope" if roll < 0.88 else "expense"
                index = randint(0, len(ITEM_SPECS[item_kind]) - 1)
                mode, low, high = ITEM_SPECS[item_kind][index]
                if mode == "one":
                    qty2 = 2
                elif mode == "hours":
                    qty2 = randint(2, 60)  # half hours
                elif mode == "days":
                    qty2 = 2 * randint(1, 10)
                else:
                    qty2 = 2 * randint(1, 12)
                usd = randint(low, high)
                if inv_currency == "JPY":
                    unit = _half_up(usd * rate, 100_000) * 100
                else:
                    unit = _half_up(usd * rate, 1000) * 100
                    if item_kind == "expense":
                        unit += choice([0, 99, 50, 40, 95])
                amount = _half_up(qty2 * unit, 2)
                qty = str(qty2 // 2) if qty2 % 2 == 0 else f"{qty2 // 2}.5"
                description = _q(spec[item_kind][index])
                kind_field = "" if item_kind == "scope" else f"kind: {item_kind}, "
                taxable = not (taxed and item_kind == "expense" and random_() < 0.3)
                tail = "" if taxable else ", taxable: false"
                lines.append(
                    f"  - {{description: {description}, {kind_field}quantity: {qty}, "
                    f"unit_price: {_money(unit, inv_currency)}{tail}}}"
                )
                subtotal += amount
                if taxable:
                    taxable_sum += amount
            tax = 0
            if taxed:
                label, hundredths = TAXES[inv_currency]
                tax = _half_up(taxable_sum * hundredths, 10_000)
                percent = f"{hundredths // 100}.{hundredths % 100:02d}".rstrip("0").rstrip(".")
                lines.append(f'tax: {{label: {_q(label)}, percent: "{percent}"}}')
                counts.taxed += 1
            total = subtotal + tax
            first_due = due
            if plan:
                dues = [
                    issued + timedelta(days=d) for d in (net_days, net_days + 30, net_days + 60)
                ]
                first_due = dues[0]
                lines.append("instalments:")
                for day, share in zip(dues, (40, 30, 30), strict=True):
                    lines.append(f'  - {{due: {day.isoformat()}, percent: "{share}"}}')
                counts.instalment_plans += 1
            if kind == "unpaid" and random_() < 0.04:
                lines.append("status: void")
            _write(invoices_dir / f"{number}.yaml", "\n".join(lines) + "\n")
            counts.invoices += 1

            # -- what was paid on it
            payments: list[tuple[int, date, int | None]] = []  # amount, day, instalment
            if kind == "paid":
                counts.paid += 1
                on_time = min(
                    issued + timedelta(days=randint(11, (first_due - issued).days)), today
                )
                how = random_()
                if not plan and how < 0.25:  # early, with the discount
                    day = issued + timedelta(days=randint(0, EARLY_DISCOUNT_DAYS))
                    payments.append(
                        (total - _half_up(total * EARLY_DISCOUNT_PERCENT, 100), day, None)
                    )
                elif how < 0.4 and total > 1:  # in two parts
                    first = total * randint(30, 70) // 100
                    day = issued + timedelta(days=randint(1, 10))
                    payments += [(first, day, None), (total - first, on_time, None)]
                else:
                    payments.append((total, on_time, None))
                paid_invoices.append((number, payments[-1][1]))
            elif kind == "partial":
                counts.partial += 1
                latest = min(first_due, today)
                day = issued + timedelta(days=randint(1, max(1, (latest - issued).days)))
                if plan:
                    payments.append((_allocate(total, [40, 30, 30])[0], day, 1))
                else:
                    payments.append((max(1, total * randint(20, 70) // 100), day, None))
            for n, (amount, day, instalment) in enumerate(payments, start=1):
                pay_id = f"pay-{number}" if n == 1 else f"pay-{number}-{n}"
                lines = [
                    f"invoice: {number}",
                    f"amount: {_money(amount, inv_currency)}",
                    f"date: {day.isoformat()}",
                    f"method: {choice(METHODS)}",
                ]
                if random_() < 0.2:
                    lines.append(f"currency: {inv_currency}")
                if instalment is not None:
                    lines.append(f"instalment: {instalment}")
                if random_() < 0.3:
                    lines.append(f"reference: {_q(f'Bank ref {randint(100000, 999999)}')}")
                _write(payments_dir / f"{pay_id}.yaml", "\n".join(lines) + "\n")
                counts.payments += 1

        # -- a thank-you note for a paid invoice, now and then (always for the first client)
        if paid_invoices and (c == 1 or random_() < 0.05):
            title, body = spec["note"]
            number, paid_on = choice(paid_invoices)
            day = min(paid_on + timedelta(days=1), today)
            front = [f"title: {_q(title)}", f"date: {day.isoformat()}", f"invoice: {number}"]
            text = body.format(contact=billing_contact, client=name, invoice=number)
            folder = notes_dir / client_id
            folder.mkdir()
            _write(folder / "thank-you.md", "---\n" + "\n".join(front) + "\n---\n" + text)
            counts.notes += 1
    return counts


# --- edits, for incremental builds ----------------------------------------------------

_QUANTITY = re.compile(r"quantity: ([0-9.]+)")


def pick_invoice(content: Path, seed: int) -> Path:
    """The invoice file ``touch_one_invoice`` changes for this ``seed``."""
    folder = Path(content) / "invoices"
    names = sorted(e.name for e in os.scandir(folder) if e.name.endswith(".yaml"))
    if not names:
        raise FileNotFoundError(f"no invoices in {folder}")
    return folder / random.Random(seed).choice(names)


def touch_one_invoice(content: Path, seed: int) -> Path:
    """Add one to the quantity of the first item of one invoice (chosen by ``seed``).

    Every call changes the file's bytes (and so its hash), also when called
    again on the same invoice. Returns the file's path.
    """
    path = pick_invoice(content, seed)
    text = path.read_bytes().decode("utf-8")
    match = _QUANTITY.search(text)
    if match is None:
        raise ValueError(f"{path}: no 'quantity:' to change")
    new = Decimal(match.group(1)) + 1
    _write(path, text[: match.start(1)] + str(new) + text[match.end(1) :])
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic agency (content folder).")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--invoices", type=int, default=10, help="invoices per client")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="the content folder to write")
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    counts = _generate(args.out, args.clients, args.invoices, args.seed, args.today)
    seconds = time.perf_counter() - started
    print(
        f"{args.out}: {counts.clients} clients, {counts.invoices} invoices "
        f"({counts.paid} paid, {counts.partial} partially paid, {counts.taxed} with tax, "
        f"{counts.instalment_plans} on a plan), {counts.payments} payments, "
        f"{counts.notes} notes; {counts.files} files in {seconds:.2f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
