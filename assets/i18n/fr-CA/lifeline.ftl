### Lifeline : les messages de l'interface, français (Canada).
### Seulement ce qui diffère du français de France (assets/i18n/fr) ; le reste vient de là.

## Relu par un locuteur natif (yes/no).
-reviewed = no

## failed
failed-explanation = Appelez le numéro d'urgence depuis un cellulaire ou un téléphone fixe maintenant.
