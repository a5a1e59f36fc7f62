"""The demo world as data: people, the plant and the apartment block, items, vendors, money.

Tables are written as text, one row a line with cells split by "|", so a row reads as it will
look on a page; `table()` turns them into tuples of strings (an empty cell is None).
"""

from __future__ import annotations

import io

from PIL import Image

from portal.domain.roles import Role


def table(text: str) -> list[tuple[str | None, ...]]:
    """Rows of `text`: one per non-empty line, cells split on '|' and trimmed."""
    return [
        tuple(cell.strip() or None for cell in line.split("|"))
        for line in text.strip().splitlines()
        if line.strip()
    ]


DEMO_PASSWORD = "demo"

# username, name, roles, department, hourly rate, budget authority
USERS: list[tuple[str, str, tuple[Role, ...], str, str | None, bool]] = [
    ("technician", "Tomás Rivera", (Role.technician,), "Maintenance", "42.00", False),
    ("supervisor", "Sam Okafor", (Role.supervisor,), "Maintenance", "55.00", False),
    ("storekeeper", "Sofia Lindqvist", (Role.storekeeper,), "Stores", None, False),
    ("buyer", "Bea Nakamura", (Role.buyer,), "Procurement", None, False),
    ("approver", "Arjun Mehta", (Role.approver,), "Finance", None, True),
    # The second approver that requests above 5,000.00 need (no budget authority).
    ("approver2", "Grace Adeyemi", (Role.approver,), "Finance", None, False),
    ("ap_clerk", "Alex Dubois", (Role.ap_clerk,), "Accounts payable", None, False),
    ("admin", "Ada Kowalski", (Role.admin,), "IT", None, True),
    ("auditor", "Aino Virtanen", (Role.auditor,), "Internal audit", None, False),
]
# A second technician in the plant team; no demo sign-in (a random password).
PRIYA = ("priya", "Priya Natarajan", (Role.technician,), "Maintenance", "42.00", False)

PLANT = ("RBP", "Riverside Bottling Plant", "14 Mill Road, Riverside")
BLOCK = ("ECA", "Elm Court Apartments", "2 Elm Court, Riverside")
PLANT_AREAS = {
    "Production Hall": ["Line 1 Filling", "Line 2 Filling", "Line 3 Packaging", "Mixing Room"],
    "Utilities Building": ["Boiler Room", "Compressor Room", "Water Treatment"],
    "Warehouse": ["Loading Dock", "Cold Store"],
}
BLOCK_FLOORS = {
    "Floor 1": ["1A", "1B", "1C"],
    "Floor 2": ["2A", "2B", "2C"],
    "Floor 3": ["3A", "3B", "3C"],
    "Floor 4": ["4A", "4B", "4C"],
}
BLOCK_COMMON = ["Plant Room", "Lobby", "Car Park", "Roof"]

# tag | name | category | criticality | where | manufacturer | model
PLANT_ASSETS = table("""
P-101  | Transfer pump P-101    | Pumps         | high     | Mixing Room      | Grundfos     | CR 32-2
P-102  | Transfer pump P-102    | Pumps         | high     | Mixing Room      | Grundfos     | CR 32-2
P-103  | CIP supply pump        | Pumps         | medium   | Mixing Room      | Alfa Laval   | LKH-20
P-104  | Syrup dosing pump      | Pumps         | critical | Line 1 Filling   | Netzsch      | NM038
P-105  | Boiler feed pump       | Pumps         | critical | Boiler Room      | KSB          | Movitec 6
P-106  | Cooling water pump     | Pumps         | high     | Water Treatment  | Wilo         | IL 80
F-201  | Rotary filler Line 1   | Fillers       | critical | Line 1 Filling   | Krones       | Modulfill
F-202  | Rotary filler Line 2   | Fillers       | critical | Line 2 Filling   | Krones       | Modulfill
C-301  | Capper Line 1          | Cappers       | high     | Line 1 Filling   | Arol         | Euro PK
C-302  | Capper Line 2          | Cappers       | high     | Line 2 Filling   | Arol         | Euro PK
L-401  | Labeller Line 1        | Labellers     | medium   | Line 1 Filling   | Krones       | Contiroll
L-402  | Labeller Line 2        | Labellers     | medium   | Line 2 Filling   | Krones       | Contiroll
CV-501 | Infeed conveyor Line 1 | Conveyors     | medium   | Line 1 Filling   | Interroll    | RM 8
CV-502 | Infeed conveyor Line 2 | Conveyors     | medium   | Line 2 Filling   | Interroll    | RM 8
CV-503 | Case conveyor          | Conveyors     | low      | Line 3 Packaging | Interroll    | RM 8
SW-601 | Shrink wrapper         | Packaging     | high     | Line 3 Packaging | Krones       | Variopac
PL-602 | Palletiser             | Packaging     | high     | Line 3 Packaging | Krones       | Modulpal
MX-701 | Syrup mixing tank      | Tanks         | high     | Mixing Room      | Paul Mueller | F-3000
MX-702 | Blending tank          | Tanks         | medium   | Mixing Room      | Paul Mueller | F-2000
B-801  | Steam boiler           | Boilers       | critical | Boiler Room      | Viessmann    | Vitomax 200
AC-901 | Screw compressor 1     | Compressors   | critical | Compressor Room  | Atlas Copco  | GA 37
AC-902 | Screw compressor 2     | Compressors   | high     | Compressor Room  | Atlas Copco  | GA 37
AD-903 | Refrigerated air dryer | Compressors   | medium   | Compressor Room  | Atlas Copco  | FD 120
WT-951 | Reverse osmosis unit   | Water         | high     | Water Treatment  | Veolia       | Sirion
WT-952 | Water softener         | Water         | medium   | Water Treatment  | Culligan     | HI-FLO
FL-111 | Forklift 1             | Vehicles      | medium   | Loading Dock     | Toyota       | 8FBE15
FL-112 | Forklift 2             | Vehicles      | medium   | Loading Dock     | Toyota       | 8FBE15
DR-121 | Dock leveller 1        | Doors         | low      | Loading Dock     | Hörmann      | HLS 2
DR-122 | Rapid roll door        | Doors         | low      | Cold Store       | Hörmann      | V 4015
RF-131 | Cold store evaporator  | Refrigeration | high     | Cold Store       | Güntner      | GACC
RF-132 | Condensing unit        | Refrigeration | high     | Cold Store       | Bitzer       | LH84
""")
BLOCK_ASSETS = table("""
EC-B1 | Gas boiler 1               | Boilers     | critical | Plant Room | Vaillant  | ecoTEC 635
EC-B2 | Gas boiler 2               | Boilers     | high     | Plant Room | Vaillant  | ecoTEC 635
EC-HW | Hot water cylinder         | Water       | high     | Plant Room | Gledhill  | Torrent
EC-BP | Booster pump set           | Pumps       | high     | Plant Room | Grundfos  | Hydro MPC
EC-LF | Passenger lift             | Lifts       | critical | Lobby      | KONE      | MonoSpace
EC-DR | Entrance door controller   | Doors       | medium   | Lobby      | Dormakaba | ED 100
EC-FA | Fire alarm panel           | Fire safety | critical | Lobby      | Kentec    | Syncro
EC-EL | Emergency lighting circuit | Electrical  | high     | Lobby      | Eaton     | NexusRF
EC-CG | Car park gate              | Doors       | low      | Car Park   | FAAC      | 620
EC-VF | Car park ventilation fan   | HVAC        | medium   | Car Park   | Systemair | AXC
EC-RF | Roof extract fan           | HVAC        | medium   | Roof       | Nuaire    | ES-HE
EC-1A | Flat 1A kitchen            | Dwellings   | low      | 1A         |           |
EC-2B | Flat 2B bathroom           | Dwellings   | low      | 2B         |           |
EC-3C | Flat 3C heating            | Dwellings   | low      | 3C         |           |
EC-4B | Flat 4B kitchen            | Dwellings   | low      | 4B         |           |
EC-4C | Flat 4C bathroom           | Dwellings   | low      | 4C         |           |
EC-SD | Smoke vent actuator        | Fire safety | high     | Roof       | Colt      | SHEV
EC-WM | Water meter cabinet        | Water       | low      | Plant Room | Kamstrup  | flowIQ
EC-CC | CCTV recorder              | Security    | medium   | Lobby      | Hikvision | NVR
""")

# part number | description | uom | category | kind | standard cost | on hand: plant | block
ITEMS = table("""
BRG-6205     | Ball bearing 6205-2RS          | EA    | Bearings    | stock     | 8.40   | 24 | 4
BRG-6306     | Ball bearing 6306-2RS          | EA    | Bearings    | stock     | 14.90  | 10 | 0
BRG-UCP208   | Pillow block bearing UCP208    | EA    | Bearings    | stock     | 38.50  | 4  | 0
SEAL-M32     | Mechanical seal 32 mm          | EA    | Seals       | stock     | 186.00 | 2  | 0
SEAL-OR-K    | O-ring kit, NBR, 382 pcs       | KIT   | Seals       | stock     | 54.00  | 3  | 1
SEAL-LIP40   | Lip seal 40x62x8               | EA    | Seals       | stock     | 6.75   | 18 | 0
BELT-SPA1250 | V-belt SPA 1250                | EA    | Belts       | stock     | 11.20  | 12 | 2
BELT-SPB1800 | V-belt SPB 1800                | EA    | Belts       | stock     | 17.80  | 6  | 0
CHAIN-08B    | Roller chain 08B-1, 5 m        | EA    | Chains      | stock     | 64.00  | 2  | 0
FLT-AIR-GA37 | Air filter element GA37        | EA    | Filters     | stock     | 72.00  | 4  | 0
FLT-OIL-GA37 | Oil filter GA37                | EA    | Filters     | stock     | 48.00  | 4  | 0
FLT-HVAC-G4  | Panel filter G4 592x592        | EA    | Filters     | stock     | 9.60   | 20 | 16
FLT-RO-40    | RO membrane 4040               | EA    | Filters     | stock     | 295.00 | 1  | 0
OIL-ISO46    | Hydraulic oil ISO VG 46, 20 L  | DRUM  | Lubricants  | stock     | 96.00  | 5  | 0
GRS-EP2      | EP2 grease cartridge 400 g     | EA    | Lubricants  | stock     | 7.90   | 40 | 6
OIL-COMP     | Compressor oil, 5 L            | EA    | Lubricants  | stock     | 68.00  | 3  | 0
FUSE-10A     | Fuse 10 A gG, box of 10        | BOX   | Electrical  | stock     | 12.50  | 8  | 4
CONT-9A      | Contactor 9 A 24 VDC           | EA    | Electrical  | stock     | 42.00  | 3  | 1
PRX-M18      | Inductive proximity sensor M18 | EA    | Electrical  | stock     | 39.00  | 5  | 0
LAMP-LED-EM  | Emergency LED lamp module      | EA    | Electrical  | stock     | 27.00  | 0  | 6
VLV-BALL-25  | Ball valve DN25 stainless      | EA    | Valves      | stock     | 58.00  | 4  | 2
VLV-SOL-24   | Solenoid valve 1/2 in 24 VDC   | EA    | Valves      | stock     | 84.00  | 2  | 0
VLV-TRV      | Thermostatic radiator valve    | EA    | Valves      | stock     | 21.00  | 0  | 10
GSK-DN50     | Flange gasket DN50 EPDM        | EA    | Seals       | stock     | 3.20   | 30 | 5
TAP-CART     | Ceramic tap cartridge 35 mm    | EA    | Plumbing    | stock     | 14.00  | 0  | 8
WC-FILL      | Toilet fill valve              | EA    | Plumbing    | stock     | 16.50  | 0  | 5
DOOR-CLOSER  | Door closer EN 2-5             | EA    | Hardware    | stock     | 69.00  | 0  | 2
SMOKE-DET    | Optical smoke detector         | EA    | Fire safety | stock     | 31.00  | 0  | 12
MOTOR-4KW    | Motor 4 kW IE3 4-pole          | EA    | Motors      | non_stock | 520.00 | 0  | 0
SVC-LIFT     | Lift service visit             | VISIT | Services    | service   | 240.00 | 0  | 0
""")
# Bought when a work order needs them (no stock): the demo's purchase requests ask for these.
# part number | description | uom | category | kind | standard cost
BOUGHT_ITEMS = table("""
LVL-CAP-250    | Capacitive level probe 250 mm, filler bowl      | EA   | Electrical          | non_stock | 410.00
GAUGE-WLG      | Boiler water level gauge glass set              | EA   | Hardware            | non_stock | 64.50
KIT-DOS-HEAD   | Dosing pump head rebuild kit                    | EA   | Pumps               | non_stock | 1850.00
CYL-MAST-FL2   | Forklift mast lift cylinder, exchange unit      | EA   | Hardware            | non_stock | 5600.00
LIFT-DOOR-OP   | Lift landing door operator                      | EA   | Services            | non_stock | 3650.00
GUARD-CV-1M    | Conveyor belt guard panel 1 m                   | EA   | Hardware            | non_stock | 95.00
TRV-HEAD-BRASS | Thermostatic radiator valve head, brushed brass | EA   | Plumbing            | non_stock | 145.00
HOSE-CRIMP-12  | Hydraulic hose crimp, 1/2 in                    | EA   | Hydraulics          | non_stock | 18.50
PACK-GLAND     | Gland packing cord 10 mm, per metre             | M    | Pumps               | non_stock | 4.00
SEP-GA37       | Oil separator element                           | EA   | Compressors         | non_stock | 185.00
SVC-ELEC       | Electrician on site, per hour                   | HOUR | Electrical services | service   | 85.00
""")

# code | name | payment terms | preferred for (comma-separated) | contractor | blocked because
VENDORS = table("""
NBS    | Northern Bearing Supply          | 2/10 Net 30   | Bearings, Belts, Chains, Seals, Lubricants | no  |
FLO    | FlowTech Pumps & Seals           | Net 30        | Pumps                                      | no  |
VOLT   | Voltaic Electrical Wholesale     | Net 45        | Electrical                                 | no  |
AQUA   | AquaServ Plumbing Supplies       | Net 30        | Plumbing, Valves                           | no  |
LIFT   | Summit Lift Services             | Net 30        | Services                                   | yes |
QIND   | QuickParts Industrial            | Net 15        |                                            | no  | Repeated short deliveries and wrong parts (2026 review).
BRIGHT | Brightway Cleaning Services      | Net 30        | Cleaning                                   | yes |
SPARK  | Sparkline Electrical Contractors | 1.5/15 Net 45 |                                            | yes |
""")
VENDOR_CONTACTS = {
    "BRIGHT": ("Contracts desk", "contracts@bright.example", "+1 555 0140", "8 Canal Street"),
    "SPARK": ("Dispatch", "dispatch@sparkline.example", "+1 555 0142", "14 Foundry Road"),
}

# The NBS price list for this year: part number | agreed unit price
NBS_PRICES = table("""
BRG-6205     | 7.60
BRG-6306     | 13.40
BRG-UCP208   | 34.00
SEAL-M32     | 172.00
SEAL-LIP40   | 6.10
BELT-SPA1250 | 10.10
BELT-SPB1800 | 16.00
CHAIN-08B    | 58.00
""")

# code | name | site code | budget for this year
COST_CENTRES = table("""
CC-RBP-MNT  | Plant maintenance         | RBP | 180000.00
CC-ECA-MNT  | Elm Court maintenance     | ECA | 45000.00
CC-ECA-LIFT | Elm Court lift and access | ECA | 3000.00
""")

# name | kind | limit | categories | item kinds | message
POLICY_RULES = table("""
Outside spend from 500.00          | amount_at_least      | 500.00  |            | service, non_stock |
Electrical work goes through a PO  | category_always      |         | Electrical |                    |
Preferred vendors or a contract    | non_preferred_vendor |         |            |                    |
Any purchase from 5,000.00         | amount_at_least      | 5000.00 |            |                    | A PO and two quotes are required: {amount} is over the {limit} limit.
Out-of-pocket up to 5,000.00       | out_of_pocket_limit  | 5000.00 |            |                    |
""")


def _receipt_photo() -> bytes:
    """A small plain JPEG, enough for the demo's receipt photos (uploads are decoded)."""
    out = io.BytesIO()
    Image.new("RGB", (120, 160), "#e8e4da").save(out, format="JPEG", quality=70)
    return out.getvalue()


RECEIPT_PHOTO = _receipt_photo()
