// Steps on the order page that several browser tests share: waiting for the render to finish and
// playing the video to its end.

/** Waits until the order page's status reads "Ready" or "Failed" and returns that text. */
export async function waitForFinalStatus(page) {
  const status = await page.waitForFunction(
    () => {
      const text = (document.getElementById("status")?.textContent ?? "").trim();
      return /^(Ready|Failed)/.test(text) ? text : null;
    },
    null,
    { timeout: 120_000, polling: 250 },
  );
  return status.jsonValue();
}

/**
 * Plays the order page's video muted at 4× speed until its `ended` event, and returns its duration,
 * the time playback ended at and the frame size. Fails on a media error or after 30 s.
 */
export async function playToEnd(page) {
  return page.evaluate(
    () =>
      new Promise((done, fail) => {
        const video = document.getElementById("player");
        const timer = setTimeout(() => fail(new Error(`no 'ended' event; currentTime ${video.currentTime}`)), 30_000);
        video.addEventListener("error", () => fail(new Error(`media error ${video.error?.code}: ${video.error?.message}`)));
        video.addEventListener("ended", () => {
          clearTimeout(timer);
          done({ duration: video.duration, currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight });
        });
        video.muted = true;
        video.playbackRate = 4;
        video.play().catch(fail);
      }),
  );
}
