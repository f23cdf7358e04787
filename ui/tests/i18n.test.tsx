import { describe, expect, it } from "vitest";
import { DICTIONARIES, translate } from "../src/i18n";

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("translations", () => {
  const en = DICTIONARIES.en;
  for (const [language, dict] of Object.entries(DICTIONARIES)) {
    it(`${language} has every key, none empty, with the same placeholders`, () => {
      expect(Object.keys(dict).sort()).toEqual(Object.keys(en).sort());
      for (const [key, text] of Object.entries(dict)) {
        expect(text.trim(), key).not.toBe("");
        expect(placeholders(text), key).toEqual(placeholders(en[key as keyof typeof en]));
      }
    });
  }
  it("Chinese texts are really translated", () => {
    const same = Object.keys(en).filter((k) => DICTIONARIES["zh-Hans"][k as keyof typeof en] === en[k as keyof typeof en]);
    // Only brand names may stay as they are.
    expect(same.filter((k) => !/Harbor/.test(en[k as keyof typeof en]))).toEqual([]);
    expect(DICTIONARIES["zh-Hans"]["nav.settings"]).not.toBe(DICTIONARIES["zh-Hant"]["nav.settings"]);
  });
  it("fills placeholders", () => {
    expect(translate("en", "quiz.word", { n: 3 })).toBe("Word number 3");
    expect(translate("zh-Hans", "quiz.word", { n: 3 })).toBe("第 3 个单词");
  });
});
