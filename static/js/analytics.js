// Google Analytics, loaded only when the site has a measurement id (GET /config.json) and the
// visitor has not ticked "Do not use analytics" (#analytics-opt-out, remembered in localStorage).
// With no id, or with the opt-out set, this module makes no request to any analytics host.

const OPT_OUT_KEY = 'sbh-analytics-opt-out';
const GTAG_ORIGIN = 'https://www.googletagmanager.com';
// Measurement ids look like G-XXXXXXXXXX. Any other value is ignored rather than put into a URL.
const MEASUREMENT_ID_PATTERN = /^[A-Za-z]{1,4}-[A-Za-z0-9-]{1,32}$/;

let loadedId = null;

/** Returns true when the opt-out is remembered. Blocked storage counts as not set. */
function readOptOut() {
  try {
    return window.localStorage.getItem(OPT_OUT_KEY) === '1';
  } catch (error) {
    return false;
  }
}

/** Stores the opt-out choice. Returns false when the browser blocks storage. */
function writeOptOut(optedOut) {
  try {
    if (optedOut) {
      window.localStorage.setItem(OPT_OUT_KEY, '1');
    } else {
      window.localStorage.removeItem(OPT_OUT_KEY);
    }
    return true;
  } catch (error) {
    return false;
  }
}

/** Returns the page address to report, with the order token replaced, so links never reach analytics. */
function pageLocation() {
  const path = location.pathname.replace(/^\/orders\/[^/]+/, '/orders/redacted');
  return `${location.origin}${path}`;
}

async function fetchMeasurementId() {
  try {
    const response = await fetch('/config.json', { cache: 'no-store', credentials: 'same-origin' });
    if (!response.ok) {
      return '';
    }
    const config = await response.json();
    const id = typeof config.ga_measurement_id === 'string' ? config.ga_measurement_id.trim() : '';
    return MEASUREMENT_ID_PATTERN.test(id) ? id : '';
  } catch (error) {
    return '';
  }
}

function loadGtag(id) {
  loadedId = id;
  window[`ga-disable-${id}`] = false;
  window.dataLayer = window.dataLayer || [];
  // gtag.js reads Arguments objects from the data layer, so this must push `arguments`, not an array.
  window.gtag = function gtag() {
    window.dataLayer.push(arguments); // eslint-disable-line prefer-rest-params
  };
  window.gtag('js', new Date());
  window.gtag('config', id, {
    anonymize_ip: true,
    allow_google_signals: false,
    allow_ad_personalization_signals: false,
    page_location: pageLocation(),
    page_referrer: '',
  });

  const script = document.createElement('script');
  script.async = true;
  script.src = `${GTAG_ORIGIN}/gtag/js?id=${encodeURIComponent(id)}`;
  document.head.append(script);
}

async function startAnalytics() {
  // The opt-out is read before anything else, so an opted-out visitor causes no analytics request.
  if (readOptOut() || loadedId) {
    return;
  }
  const id = await fetchMeasurementId();
  if (id && !readOptOut() && !optOutBox()?.checked && !loadedId) {
    loadGtag(id);
  }
}

function optOutBox() {
  return document.getElementById('analytics-opt-out');
}

function setUpOptOut() {
  const box = optOutBox();
  if (!box) {
    return;
  }
  box.checked = readOptOut();
  box.addEventListener('change', () => {
    const note = document.getElementById('analytics-opt-out-note');
    const stored = writeOptOut(box.checked);
    if (loadedId) {
      // gtag.js sends nothing for this id while this flag is true (Google's "user opt out" guide,
      // developers.google.com/analytics/devguides/collection/gtagjs/user-opt-out).
      window[`ga-disable-${loadedId}`] = box.checked;
    }
    if (note) {
      note.textContent = stored
        ? ''
        : 'Your browser blocks storage, so this choice applies to this page only.';
    }
    if (!box.checked) {
      startAnalytics();
    }
  });
}

// Module scripts run after the document is parsed, so the footer checkbox exists here.
setUpOptOut();
startAnalytics();
