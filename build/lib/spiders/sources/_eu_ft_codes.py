"""Code -> label tables of the EU Funding & Tenders Portal search index.

Hand-written from the portal's facet endpoint as captured on 2026-08-22 and the
research notes (`../shared/research/eu-sources.md` §1.7). The facet labels come
URL-encoded in places ("%26", "%C5%82") and with "+" turned into spaces
("Erasmus  (ERASMUS )"); the labels below are the decoded, intended ones.
Refresh from `.../rest/facet?apiKey=SEDIA` when a code shows up as unknown.
"""

from __future__ import annotations

from tracker.vocab import CallStatus, Instrument

STATUS: dict[str, CallStatus] = {
    "31094501": CallStatus.FORTHCOMING,
    "31094502": CallStatus.OPEN,
    "31094503": CallStatus.CLOSED,
}

# Search-index `type`: 1 grant topic, 2 call for proposals (prospect), 8 cascade
# funding (FSTP), 0 tender (not requested by the spider, mapped for safety).
INSTRUMENT: dict[str, Instrument] = {
    "0": Instrument.TENDER,
    "1": Instrument.GRANT,
    "2": Instrument.GRANT,
    "8": Instrument.CASCADE,
}

FRAMEWORK_PROGRAMMES: dict[str, str] = {
    "43108390": "Horizon Europe (HORIZON)",
    "43152860": "Digital Europe Programme (DIGITAL)",
    "44181033": "European Defence Fund (EDF)",
    "43252405": "Programme for the Environment and Climate Action (LIFE)",
    "43252476": "Single Market Programme (SMP)",
    "111111": "EU External Action - Prospect (RELEX-PROSPECT)",
    "43298916": "Euratom Research and Training Programme (EURATOM)",
    "43251589": "Citizens, Equality, Rights and Values Programme (CERV)",
    "43251567": "Connecting Europe Facility (CEF)",
    "43251814": "Creative Europe Programme (CREA)",
    "43353764": "Erasmus+ (ERASMUS+)",
    "31045243": "Horizon 2020 Framework Programme (H2020 - 2014-2020)",
    "43252449": "Research Fund for Coal & Steel (RFCS)",
    "43254019": "European Social Fund+ (ESF+)",
    "43637601": "Pilot Projects & Preparation Actions (PPPA)",
    "44416173": "Interregional Innovation Investments Instrument (I3)",
    "43252368": "Internal Security Fund (ISF)",
    "44773066": "Just Transition Mechanism (JTM)",
    "31059643": "Programme for the Competitiveness of Enterprises and small and "
    "medium-sized enterprises (COSME - 2014-2020)",
    "43252386": "Justice Programme (JUST)",
    "45532249": "EU Bodies and Agencies (EUBA)",
    "43252433": "Programme for the Protection of the Euro against Counterfeiting "
    "(PERICLES IV)",
    "43252517": "Social Prerogative and Specific Competencies Lines (SOCPL)",
    "43253967": "Renewable Energy Financing Mechanism (RENEWFM)",
    "43254037": "European Solidarity Corps (ESC)",
    "43697167": "European Parliament (EP)",
    "43089234": "Innovation Fund (INNOVFUND)",
    "43392145": "European Maritime, Fisheries and Aquaculture Fund (EMFAF)",
    "45876777": "Neighbourhood, Development and International Cooperation "
    "Instrument – Global Europe (NDICI)",
    "46324255": "Technical assistance for ERDF, CF and JTF (ERDF-TA)",
    # Absent from the Aug 2026 facets (nothing open then); code from three peers.
    "43332642": "EU4Health Programme (EU4H)",
}

# Every division the facet endpoint labels; it returns dozens of others (DIGITAL,
# EDF, ...) with the bare number as label, and those stay unknown here.
PROGRAMME_DIVISIONS: dict[str, str] = {
    "43108390": "Horizon Europe Framework Programme (HORIZON)",
    "43108394": "Excellent Science",
    "43108406": "European Research Council (ERC)",
    "43108466": "Frontier science",
    "43108473": "Marie Skłodowska-Curie Actions (MSCA)",
    "43108486": "Nurturing Excellence through Mobility of Researchers across "
    "Borders, Sectors and Disciplines",
    "43108493": "Fostering new Skills through Excellent Training of Researchers",
    "43108497": "Strengthening Human Resources and Skills Development across the "
    "European Research Area",
    "43108506": "Improving and Facilitating Synergies",
    "43108510": "Promoting Public Outreach",
    "43108514": "Research infrastructures",
    "43108518": "Consolidating and Developing the Landscape of European Research "
    "Infrastructures",
    "43108530": "The innovation potential of European Research Infrastructures "
    "and activities for Innovation and Training",
    "43108534": "Reinforcing European Research Infrastructure policy and "
    "International Cooperation",
    "43108541": "Global Challenges and European Industrial Competitiveness",
    # Cluster 1 Health and its destinations.
    "43108557": "Health",
    "43108591": "Health throughout the Life Course",
    "43108608": "Environmental and Social Health Determinants",
    "43108618": "Non-Communicable and Rare Diseases",
    "43108628": "Infectious Diseases, including poverty-related and neglected diseases",
    "43108638": "Tools, Technologies and Digital Solutions for Health and Care, "
    "including personalised medicine",
    "43108642": "Health Care Systems",
    "43118846": "Culture, creativity and inclusive society",
    "43118851": "Democracy and Governance",
    "43118859": "Cultural Heritage",
    "43118966": "Social and Economic Transformations",
    "43118971": "Civil Security for Society",
    "43120172": "Disaster-Resilient Societies",
    "43120180": "Protection and Security",
    "43120185": "Cybersecurity",
    "43120193": "Digital, Industry and Space",
    "43120198": "Manufacturing Technologies",
    "43120203": "Key Digital Technologies",
    "43120208": "Emerging enabling technologies",
    "43120213": "Advanced Materials",
    "43120218": "Artificial Intelligence and Robotics",
    "43120226": "Next Generation Internet",
    "43120231": "Advanced Computing and Big Data",
    "43120236": "Circular Industries",
    "43120244": "Low-Carbon and Clean Industries",
    "43120256": "Space, including Earth Observation",
    "43120821": "Climate, Energy and Mobility",
    "43120830": "Climate Science and Solutions",
    "43120835": "Energy Supply",
    "43121058": "Energy Systems and Grids",
    "43121063": "Buildings and Industrial Facilities in Energy Transition",
    "43121068": "Communities and Cities",
    "43121073": "Industrial Competitiveness in Transport",
    "43121078": "Clean, Safe and Accessible Transport and Mobility",
    "43121083": "Smart Mobility",
    "43121088": "Energy Storage",
    # Cluster 6 Food, Bioeconomy... and its destinations (CBE JU: 43121593).
    "43121563": "Food, Bioeconomy Natural Resources, Agriculture and Environment",
    "43121568": "Environmental Observation",
    "43121573": "Biodiversity and Natural Resources",
    "43121578": "Agriculture, Forestry and Rural Areas",
    "43121583": "Seas, Oceans and Inland Waters",
    "43121588": "Food Systems",
    "43121593": "Bio-based Innovation Systems in the EU Bioeconomy",
    "43121598": "Circular Systems",
    "43121603": "Non-nuclear direct actions of the Joint Research Centre (JRC)",
    "43121633": "Innovative Europe",
    "43121666": "The European Innovation Council (EIC)",
    "43121671": "The Pathfinder for Advanced Research",
    "43121682": "The Accelerator",
    "43121692": "European innovation ecosystems",
    "43121697": "The European Institute of Innovation and Technology (EIT)",
    "43121702": "Widening Participation and Strengthening the European Research Area",
    "43121707": "Widening participation and spreading excellence",
    "43121717": "Twinning",
    "43121757": "Reforming and enhancing the European R&I System",
    "43252504": "Cosme",
    "43254027": "Employment and Social Innovation (EaSI)",
    "43422638": "Equality and non-discrimination",
    "43422652": "Combat racism, xenophobia and all forms of intolerance",
    "43422715": "Citizens engagement and participation",
    "43422759": "Daphne - to fight violence, including gender-based violence",
    "43437664": "European Remembrance",
    "43437872": "Town-Twinning",
    "43466294": "Citizen science",
    "43466299": "Gender equality",
    "43479963": "Promote and co-fund innovation programmes",
    "43479971": "Joint programmes close to innovators",
    "43479981": "Overall innovation landscape and management capacity",
    "43494268": "Consumers",
    "44187987": "Promote capacity building and awareness on the EU Charter of "
    "Fundamental Rights",
    "45033812": "Food",
}
