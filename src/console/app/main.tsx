// The console's entry point: mounts the app; styles come from one stylesheet (the CSP admits no inline style).
import { render } from "preact";
import { App } from "./app.js";
import "./style.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
