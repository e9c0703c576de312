// On the on-site page, open the hazard details of an item as soon as it is marked 不合格.
document.querySelectorAll(".check-item").forEach((card) => {
  const details = card.querySelector("details");
  card.querySelectorAll("input[type=radio]").forEach((radio) => {
    radio.addEventListener("change", () => {
      if (details) details.open = radio.value === "fail" && radio.checked;
    });
  });
});
