// Progressive enhancements of the Parcours pages. Every page works without
// this script; it only adds conveniences.
(function () {
  "use strict";

  // A "copy" button beside the token field of the demo sign-in.
  document.querySelectorAll("textarea[data-copier]").forEach(function (field) {
    if (!navigator.clipboard) {
      return;
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "bouton bouton-secondaire bouton-petit";
    button.textContent = "Copier le jeton";
    var status = document.createElement("span");
    status.className = "copie-statut";
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        status.textContent = "Jeton copié.";
      }, function () {
        status.textContent = "La copie a échoué : sélectionnez le jeton et copiez-le.";
      });
    });
    field.insertAdjacentElement("afterend", status);
    field.insertAdjacentElement("afterend", button);
  });

  // On the demo sign-in, show only the subject field that the chosen role uses.
  var form = document.querySelector("form[action='/connexion-demo']");
  if (form) {
    var provider = document.getElementById("organisme");
    var subject = document.getElementById("identifiant");
    var update = function () {
      var role = form.querySelector("input[name=role]:checked");
      var isProvider = role && role.value === "provider";
      provider.closest(".champ").hidden = !isProvider;
      subject.closest(".champ").hidden = isProvider;
    };
    form.addEventListener("change", update);
    update();
  }
})();
