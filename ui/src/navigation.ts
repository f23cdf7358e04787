/** The app's screens, named once for the shell and the screens that link to each other. */
export type Screen = "home" | "send" | "receive" | "activity" | "guardians" | "recovery" | "settings";

/** Every screen, in menu order. */
export const SCREENS: Screen[] = ["home", "send", "receive", "activity", "guardians", "recovery", "settings"];
