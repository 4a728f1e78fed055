"""Every rate the simulator draws with, in one place, so tests can hold the output to them.

A rate is a probability per person, per record or per day, as its name says.
The defaults aim at data that looks like a mid-sized Dutch and Flemish retailer
with a billing department, a contact center, a web shop and stores.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

NOISE_PROFILES: tuple[str, ...] = ("default", "real")


@dataclass(frozen=True)
class Store:
    code: str
    country: str
    open_on_sunday: bool


DEFAULT_STORES: tuple[Store, ...] = (
    Store("NL-AMS-01", "NL", True),
    Store("NL-AMS-02", "NL", True),
    Store("NL-RTM-01", "NL", True),
    Store("NL-UTR-01", "NL", False),
    Store("NL-EIN-01", "NL", False),
    Store("NL-GRO-01", "NL", False),
    Store("BE-ANT-01", "BE", False),
    Store("BE-GNT-01", "BE", False),
    Store("BE-GNT-02", "BE", False),
    Store("BE-BRU-01", "BE", False),
)

PRODUCT_LINES: tuple[str, ...] = ("appliances", "smart_home", "solar", "heat_pumps", "service")


@dataclass(frozen=True)
class RegisterSlips:
    """The rates of the "real" noise profile: slips real registers make (register_slips.py).

    Its own parameters, each taken from a public study of register or administrative
    data quality where one gives a figure, and said to be an assumption where none
    does; docs/simulator-noise.md lists the source of each. Per typed record unless
    the name says share (of persons).
    """

    # --- the population -------------------------------------------------------------
    formal_name_share: float = 0.15        # persons registered under a formal name (Johannes)
    compound_name_share: float = 0.02      # persons with a compound given name (Jan-Willem)
    married_share: float = 0.7             # women living with a male partner who married him
    # own name only, partner's-own ('Jansen-de Vries'), own-partner's, partner's only
    name_use_weights: tuple[float, ...] = (0.13, 0.5, 0.07, 0.3)
    namesake_rate: float = 0.03            # persons given the full name of another in their town
    common_namesake_share: float = 0.3     # of namesake pairs: a commonest name ('Jan de Vries')

    # --- names as given ----------------------------------------------------------------
    call_name_rate: float = 0.86           # store forms, web, agents: the call name ('Jan')
    call_name_rate_billing: float = 0.3    # billing copies the formal name more often
    compound_form_rate: float = 0.3        # 'Anne-Marie' / 'Anne Marie' / 'Annemarie'
    compound_initials_rate: float = 0.05   # 'J.W.' or 'JW' for Jan-Willem
    partner_only_rate: float = 0.3         # a combined married name cut to the partner's

    # --- slips ---------------------------------------------------------------------------
    two_slips_rate: float = 0.006          # two typing slips in one name
    prefix_slip_rate: float = 0.1          # of prefixed surnames: 'vd Berg', 'vanderberg', ...
    day_month_swap_rate: float = 0.004     # of dates whose day is 12 or less
    birth_digit_rate: float = 0.005        # a neighbour digit in day, month or year
    birth_year_rate: float = 0.002         # the year one or ten off
    placeholder_date_rate: float = 0.004   # 1900-01-01, 1901-01-01, 1970-01-01, 1 January
    placeholder_weights: tuple[float, ...] = (0.2, 0.1, 0.2, 0.5)
    billing_birth_factor: float = 0.075    # billing copies birth dates from documents

    @classmethod
    def from_dict(cls, data: dict) -> RegisterSlips:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


@dataclass(frozen=True)
class SimulationConfig:
    # --- population -----------------------------------------------------------------
    share_nl: float = 0.68                 # the rest lives in Flanders
    household_share: float = 0.35          # persons living with at least one other person
    household_landline_rate: float = 0.5   # households with a shared fixed line
    household_family_email_rate: float = 0.35
    shared_contact_use_rate: float = 0.3   # a household member gives the shared phone/e-mail
    namesake_rate: float = 0.01            # persons given the name of another person in their city
    mover_rate: float = 0.04               # persons who move; only one silo learns the new address
    pool_size: int = 3000                  # values drawn from Faker per locale and kind

    # --- presence in the silos ------------------------------------------------------
    finance_share: float = 0.55
    store_share: float = 0.45
    web_share: float = 0.5
    contact_center_share: float = 0.35
    second_account_rate: float = 0.04      # finance persons with two billing accounts
    replaced_card_rate: float = 0.05       # loyalty members whose card was replaced
    extra_cookie_weights: tuple[float, ...] = (0.55, 0.3, 0.15)  # 1, 2 or 3 browsers
    web_account_share: float = 0.45        # web persons with a web login before the start
    newsletter_share: float = 0.25         # web persons on the newsletter list before the start
    history_share: float = 0.9             # accounts/members that exist before day 0
    joining_horizon_days: int = 365        # the others join uniformly over this many days
    close_rate: float = 0.03               # accounts closed at some day within the horizon

    # --- hand-typed mess --------------------------------------------------------------
    typo_rate: float = 0.03
    initials_rate: float = 0.08
    swapped_name_rate: float = 0.02
    case_rate: float = 0.06
    diacritics_stripped_rate: float = 0.5  # of names that carry diacritics
    missing_rate: float = 0.06
    prefix_variant_rate: float = 0.15      # 'van der Berg' typed 'Van der Berg', 'Berg'
    email_variant_rate: float = 0.08
    quirky_field_rate: float = 0.01        # a delimiter, quote or line break inside a field

    # --- wrong but parseable (QUALITY.md flags these) -----------------------------------
    fault_rate: float = 0.002

    # --- behaviour per day --------------------------------------------------------------
    web_session_rate: float = 0.012        # visits with no purchase in mind, per web person per day
    anonymous_session_rate: float = 0.01   # sessions of unknown visitors per person per day
    store_receipt_rate: float = 0.012      # receipts per person per day (all stores), at default
                                           # rates; persons' purchases scale with it
    card_shown_rate: float = 0.75
    return_rate: float = 0.03
    contact_rate: float = 0.003            # contacts per person per day, besides asking advice
    anonymous_contact_rate: float = 0.1    # share of contacts without any caller detail
    customer_ref_rate: float = 0.55
    resolved_rate: float = 0.78
    csat_response_rate: float = 0.4
    privacy_request_rate: float = 0.00015  # requests per person per day
    detail_change_rate: float = 0.0008     # loyalty members changing details per day
    history_invoice_months: int = 3
    credit_note_rate: float = 0.02
    never_paid_rate: float = 0.03
    late_payment_rate: float = 0.08

    # --- delivery quirks ----------------------------------------------------------------
    late_event_rate: float = 0.02
    duplicate_event_rate: float = 0.01
    unknown_event_rate: float = 0.002
    contact_center_bom_rate: float = 0.5   # days whose export starts with a BOM

    stores: tuple[Store, ...] = field(default=DEFAULT_STORES)

    # --- noise profile: "default" (the rates above) or "real" (also `slips`) -------------
    noise: str = "default"
    slips: RegisterSlips = field(default=RegisterSlips())

    def __post_init__(self) -> None:
        if self.noise not in NOISE_PROFILES:
            raise ValueError(unknown_profile(self.noise))

    @property
    def purchase_scale(self) -> float:
        """How much more persons buy (and research and call before buying) than at the
        default receipt rate: a busier simulation is busier in every channel."""
        return self.store_receipt_rate / SimulationConfig.store_receipt_rate

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SimulationConfig:
        values = dict(data)
        values["stores"] = tuple(Store(**s) for s in values.get("stores", []))
        values["extra_cookie_weights"] = tuple(values["extra_cookie_weights"])
        if "slips" in values:  # states written before the noise profiles have neither
            values["slips"] = RegisterSlips.from_dict(values["slips"])
        return cls(**values)


def unknown_profile(name: str) -> str:
    return f"unknown noise profile {name!r}; the valid ones are: {', '.join(NOISE_PROFILES)}"
