// Rekognition's content moderation taxonomy, version 7, as chalicelib/rules/taxonomy.py has it
// (tests/test_dashboard_taxonomy.py keeps the two equal): every category a policy may name,
// at any level, with its parent; the editor offers them in the taxonomy's order.

export const TOP_LEVEL = [
  "Explicit",
  "Non-Explicit Nudity of Intimate parts and Kissing",
  "Swimwear or Underwear",
  "Violence",
  "Visually Disturbing",
  "Drugs & Tobacco",
  "Alcohol",
  "Rude Gestures",
  "Gambling",
  "Hate Symbols",
];

export const PARENT = {
  "Explicit Nudity": "Explicit",
  "Exposed Male Genitalia": "Explicit Nudity",
  "Exposed Female Genitalia": "Explicit Nudity",
  "Exposed Buttocks or Anus": "Explicit Nudity",
  "Exposed Female Nipple": "Explicit Nudity",
  "Explicit Sexual Activity": "Explicit",
  "Sex Toys": "Explicit",
  "Non-Explicit Nudity": "Non-Explicit Nudity of Intimate parts and Kissing",
  "Bare Back": "Non-Explicit Nudity",
  "Exposed Male Nipple": "Non-Explicit Nudity",
  "Partially Exposed Buttocks": "Non-Explicit Nudity",
  "Partially Exposed Female Breast": "Non-Explicit Nudity",
  "Implied Nudity": "Non-Explicit Nudity",
  "Obstructed Intimate Parts": "Non-Explicit Nudity of Intimate parts and Kissing",
  "Obstructed Female Nipple": "Obstructed Intimate Parts",
  "Obstructed Male Genitalia": "Obstructed Intimate Parts",
  "Kissing on the Lips": "Non-Explicit Nudity of Intimate parts and Kissing",
  "Female Swimwear or Underwear": "Swimwear or Underwear",
  "Male Swimwear or Underwear": "Swimwear or Underwear",
  "Weapons": "Violence",
  "Graphic Violence": "Violence",
  "Weapon Violence": "Graphic Violence",
  "Physical Violence": "Graphic Violence",
  "Self-Harm": "Graphic Violence",
  "Blood & Gore": "Graphic Violence",
  "Explosions and Blasts": "Graphic Violence",
  "Death and Emaciation": "Visually Disturbing",
  "Emaciated Bodies": "Death and Emaciation",
  "Corpses": "Death and Emaciation",
  "Crashes": "Visually Disturbing",
  "Air Crash": "Crashes",
  "Products": "Drugs & Tobacco",
  "Pills": "Products",
  "Drugs & Tobacco Paraphernalia & Use": "Drugs & Tobacco",
  "Smoking": "Drugs & Tobacco Paraphernalia & Use",
  "Alcohol Use": "Alcohol",
  "Drinking": "Alcohol Use",
  "Alcoholic Beverages": "Alcohol",
  "Middle Finger": "Rude Gestures",
  "Nazi Party": "Hate Symbols",
  "White Supremacy": "Hate Symbols",
  "Extremist": "Hate Symbols",
};

/** The category's level: 1 (Violence), 2 (Graphic Violence), 3 (Weapon Violence). */
export function level(category) {
  let depth = 1;
  for (let at = category; PARENT[at]; at = PARENT[at]) depth += 1;
  return depth;
}

/** Every category, each L1 followed by what is under it, depth first. */
export const CATEGORIES = TOP_LEVEL.flatMap(function under(parent) {
  const children = Object.keys(PARENT).filter((name) => PARENT[name] === parent);
  return [parent, ...children.flatMap(under)];
});
