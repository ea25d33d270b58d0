// Helpers shared by the Portrait Studio and the Text Studio: message wording, JSON parsing, colour
// contrast, and safe import of the server's SVG stroke preview.

const SVG_NS = 'http://www.w3.org/2000/svg';
const MIN_DURATION_S = 5;
const MAX_DURATION_S = 30;

/** Turns an API message ("image is larger than …; send a smaller photo") into a sentence. */
export function toSentence(message) {
  const text = String(message || '').trim();
  if (!text) {
    return '';
  }
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** Parses JSON text, returning null when it is not JSON. */
export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch (error) {
    return null;
  }
}

function relativeLuminance(hex) {
  const channels = [1, 3, 5].map((start) => parseInt(hex.slice(start, start + 2), 16) / 255);
  const linear = channels.map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
}

/** Returns the WCAG contrast ratio of two `#rrggbb` colours. */
export function contrastRatio(first, second) {
  const [light, dark] = [relativeLuminance(first), relativeLuminance(second)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

/**
 * Parses the server's SVG markup and returns a detached <svg> element for this document, labelled
 * with `label`, or null. The markup is parsed as XML, never assigned to innerHTML, and scripts,
 * foreign content, event handler attributes and links are removed before the element is adopted.
 */
export function importSvg(markup, label) {
  const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = parsed.documentElement;
  if (!root || root.namespaceURI !== SVG_NS || root.localName !== 'svg' ||
      parsed.getElementsByTagName('parsererror').length > 0) {
    return null;
  }
  for (const element of Array.from(root.querySelectorAll('script, foreignObject, a, use, image'))) {
    element.remove();
  }
  for (const element of [root, ...root.querySelectorAll('*')]) {
    for (const attribute of Array.from(element.attributes)) {
      const name = attribute.name.toLowerCase();
      if (name.startsWith('on') || name === 'href' || name === 'xlink:href' || name === 'style') {
        element.removeAttribute(attribute.name);
      }
    }
  }
  const svg = document.importNode(root, true);
  // The viewBox keeps the proportions; CSS sets the displayed size.
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  return svg;
}

/**
 * Checks the text of the length field the way the server does. Returns an error message, or '' when
 * it is a number of seconds within the limits. `example` is the number the message suggests.
 */
export function checkDuration(durationText, example) {
  const duration = Number(durationText);
  if (durationText === '' || !Number.isFinite(duration)) {
    return `Enter the length in seconds, for example ${example}.`;
  }
  if (duration < MIN_DURATION_S || duration > MAX_DURATION_S) {
    return toSentence(`duration is ${durationText} s; it must be between ${MIN_DURATION_S} and ${MAX_DURATION_S} s`);
  }
  return '';
}

/**
 * Moves the focus to the control of the first field error with text in `form`. `errorControls`
 * maps an error element's id to its control's id.
 */
export function focusFirstError(form, errorControls) {
  for (const element of form.querySelectorAll('.field-error')) {
    if (element.textContent) {
      const control = document.getElementById(errorControls[element.id] || '');
      if (control) {
        control.focus();
      }
      return;
    }
  }
}
